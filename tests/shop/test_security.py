"""Attacks on the example shop's accounts and uploads, each reproduced and refused (issue 18's security list)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from .conftest import token

PASSWORD = "correct horse battery"


def _register(client: FlaskClient, email: str, name: str) -> None:
    r = client.post("/account/register", data={
        "csrf_token": token(client, "/account/register"), "name": name, "email": email,
        "password": PASSWORD, "confirm": PASSWORD,
    })
    assert r.status_code == 303, r.get_data(as_text=True)


def _sign_in(client: FlaskClient, email: str, password: str = PASSWORD, remember: bool = False) -> int:
    data = {"csrf_token": token(client, "/account/login"), "email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/account/login", data=data).status_code


def _cancel(client: FlaskClient) -> None:
    r = client.post("/privacy/cancel", data={"csrf_token": token(client, "/privacy"), "password": PASSWORD,
                                             "confirm": "y"})
    assert r.status_code == 303, r.get_data(as_text=True)


def test_cookies_of_a_cancelled_account_do_not_sign_in_the_next_member(shop: Flask) -> None:
    """SQLite gives a deleted row's id to the next row: cookies that held the row id took over that member."""
    attacker = shop.test_client()
    _register(attacker, "attacker@example.test", "Attacker")
    assert _sign_in(attacker, "attacker@example.test", remember=True) == 303
    saved = {name: attacker.get_cookie(name) for name in ("session", "remember_token")}
    assert all(saved.values())
    _cancel(attacker)

    victim = shop.test_client()
    _register(victim, "victim@example.test", "Victim Chan")
    assert "Victim Chan" in victim.get("/account/").get_data(as_text=True)

    for names in (("session", "remember_token"), ("remember_token",), ("session",)):
        replay = shop.test_client()
        for name in names:
            cookie = saved[name]
            assert cookie is not None
            replay.set_cookie(name, cookie.value)
        profile = replay.get("/account/")
        assert profile.status_code == 302, names  # sent to the sign-in page
        assert "Victim Chan" not in replay.get("/privacy/download").get_data(as_text=True)
