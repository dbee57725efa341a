"""Attacks on the example shop's accounts and uploads, each reproduced and refused (issue 18's security list)."""

from __future__ import annotations

import io
import json
import stat
import struct
import zlib
from pathlib import Path
from typing import Any

import flask
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import ImageFile

from example_shop import create_app
from example_shop.extensions import db
from example_shop.images import MAX_PIXELS
from example_shop.models import AnalyticsEvent
from example_shop.seed import DEMO_ADMIN, DEMO_MEMBER, demo_logins

from .conftest import FAST_HASH, decide, set_cookie_names, token

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


def _blank_png(width: int, height: int) -> bytes:
    """A black 1-bit greyscale PNG of ``width``×``height``, compressed to a few kilobytes.

    Written chunk by chunk with zlib, so that making a 13000×13000 bomb costs the test no memory either.
    """
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte "none", then the packed 1-bit pixels
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(13000, 13000), (6000, 5000)])
def test_photo_search_refuses_a_decompression_bomb_before_decoding(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:  # C25: the photo feature, kept safe
    """A 13000×13000 PNG of ~20 KB decoded to ~860 MB; one just over the stated limit is refused as well."""
    bomb = _blank_png(*size)
    assert len(bomb) < 200_000 and size[0] * size[1] > MAX_PIXELS
    decoded: list[object] = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda img: decoded.append(img) or real_load(img))
    decide(client, "grant", "voice_photo_search")
    r = client.post("/search/photo", data={"csrf_token": token(client, "/search/photo"),
                                           "photo": (io.BytesIO(bomb), "bomb.png")})
    assert r.status_code == 413
    assert "too large" in r.get_data(as_text=True) and "25 megapixels" in r.get_data(as_text=True)
    assert decoded == []


def test_photo_search_still_reads_a_photo_within_the_limit(client: FlaskClient) -> None:
    decide(client, "grant", "voice_photo_search")
    r = client.post("/search/photo", data={"csrf_token": token(client, "/search/photo"),
                                           "photo": (io.BytesIO(_blank_png(4000, 3000)), "night.png")})
    assert r.status_code == 200 and "#000000" in r.get_data(as_text=True)


def _attempts(client: FlaskClient, email: str, password: str, times: int, address: str) -> list[int]:
    csrf = token(client, "/account/login")
    return [client.post("/account/login", data={"csrf_token": csrf, "email": email, "password": password},
                        environ_base={"REMOTE_ADDR": address}).status_code for _ in range(times)]


def test_guessing_a_password_is_throttled(shop: Flask) -> None:
    """60 wrong passwords in a few seconds were all answered 200; now the 11th and later are refused."""
    guesser = shop.test_client()
    codes = _attempts(guesser, DEMO_MEMBER, "wrong password", 60, "203.0.113.7")
    assert codes[:10] == [200] * 10 and set(codes[10:]) == {429}
    refused = guesser.post("/account/login", data={
        "csrf_token": token(guesser, "/account/login"), "email": DEMO_MEMBER,
        "password": demo_logins(shop)[DEMO_MEMBER]}, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0  # even the right password waits
    assert "Too many wrong passwords" in refused.get_data(as_text=True)
    assert _sign_in(shop.test_client(), DEMO_ADMIN, demo_logins(shop)[DEMO_ADMIN]) == 303  # others are unaffected


def test_spraying_many_accounts_from_one_address_is_throttled(shop: Flask) -> None:
    client = shop.test_client()
    codes = [code for n in range(6) for code in _attempts(client, f"guess{n}@example.test", "hunter2", 10,
                                                           "198.51.100.9")]
    assert codes.count(200) == 50 and codes.count(429) == 10


def test_cancelling_an_account_removes_its_analytics_page_views(shop: Flask) -> None:
    """Page views stayed behind after cancelling (``/account/``, ``/orders/7``), and the download still gave them."""
    phone, laptop = shop.test_client(), shop.test_client()
    _register(phone, "lam@example.test", "Lam Wing")
    assert _sign_in(laptop, "lam@example.test") == 303
    for device, path in ((phone, "/account/"), (phone, "/orders/7"), (laptop, "/account/security")):
        decide(device, "accept_all")
        beacon = device.post("/tp/collect", json={"path": path}, headers={"X-CSRFToken": token(device)})
        assert beacon.status_code == 200
    views = {v["path"] for v in json.loads(phone.get("/privacy/download").data)["analytics_page_views"]}
    assert views == {"/account/", "/orders/7", "/account/security"}  # both devices' views are the member's data

    cancel = phone.post("/privacy/cancel", data={"csrf_token": token(phone, "/privacy"), "password": PASSWORD,
                                                 "confirm": "y"})
    assert cancel.status_code == 303
    assert any(h.startswith("_shop_analytics=;") for h in cancel.headers.getlist("Set-Cookie"))
    with shop.app_context():
        assert db.session.scalars(db.select(AnalyticsEvent.path)).all() == []
    assert json.loads(phone.get("/privacy/download").data)["analytics_page_views"] == []


def _modes(instance: Path) -> dict[str, int]:
    return {f.name: stat.S_IMODE(f.stat().st_mode) for f in instance.iterdir() if ".db" in f.name}


def test_databases_are_readable_by_the_shop_only(tmp_path: Path) -> None:
    """``shop.db`` and ``consent.db`` (names, addresses, orders) were created 0644, world-readable."""
    instance = tmp_path / "fresh"
    shop = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "SHOP_PASSWORD_METHOD": FAST_HASH})
    decide(shop.test_client(), "reject_all")  # a write to the consent log, with its -wal and -shm files
    modes = _modes(instance)
    assert {"shop.db", "consent.db", "consent.db-wal"} <= set(modes) and set(modes.values()) == {0o600}, modes

    for name in modes:  # a database left world-readable by an older shop is tightened at start-up
        (instance / name).chmod(0o644)
    create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "SHOP_PASSWORD_METHOD": FAST_HASH})
    assert set(_modes(instance).values()) == {0o600}


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/products", "/product/clay-pot.svg", "/csrf-token"])
def test_every_response_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    r = client.get(path)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert r.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = r.headers["Permissions-Policy"]
    for feature in ("geolocation", "microphone", "camera"):  # C25: the shop's own pages only, never a frame
        assert f"{feature}=(self)" in policy
    assert "Strict-Transport-Security" not in r.headers  # not on plain http by default


def test_production_setting_makes_every_cookie_secure_and_sends_hsts(make_shop: Any) -> None:
    shop = make_shop(SHOP_PRODUCTION=True)
    client = shop.test_client()
    client.get("/", base_url="https://localhost")
    csrf = client.get("/csrf-token", base_url="https://localhost")
    assert csrf.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    data = {"csrf_token": csrf.get_json()["csrf_token"], "email": DEMO_MEMBER,
            "password": demo_logins(shop)[DEMO_MEMBER], "remember": "y"}
    https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/"}}  # Flask-WTF asks it
    login = client.post("/account/login", data=data, **https)
    choice = client.post("/consent", data={"csrf_token": csrf.get_json()["csrf_token"], "action": "accept_all"},
                         **https)
    assert login.status_code == 303, login.get_data(as_text=True)[-3000:]
    cookies = login.headers.getlist("Set-Cookie") + choice.headers.getlist("Set-Cookie")
    names = {c.split("=", 1)[0] for c in cookies}
    assert {"session", "remember_token", "consent"} <= names
    assert all("; Secure" in c for c in cookies), cookies
    with shop.test_request_context("/"):
        assert flask.url_for("shop.index", _external=True).startswith("https://")


def test_cookies_are_not_secure_without_the_production_setting(client: FlaskClient, shop: Flask) -> None:
    decide(client, "accept_all")
    r = client.post("/account/login", data={"csrf_token": token(client), "email": DEMO_MEMBER,
                                            "password": demo_logins(shop)[DEMO_MEMBER]})
    assert r.status_code == 303 and not any("Secure" in c for c in r.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/products", "/stores", "/privacy/policy"])
def test_a_page_view_sets_no_session_cookie(shop: Flask, path: str) -> None:
    """The base template put a CSRF token on every page, so every page view (even a 404) set ``session``."""
    r = shop.test_client().get(path)
    assert "session" not in set_cookie_names(r)


def test_language_switch_needs_no_token_but_refuses_other_sites(client: FlaskClient) -> None:
    switched = client.post("/lang", data={"lang": "zh-HK", "next": "/products"},
                           headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert switched.status_code == 303 and switched.headers["Location"].endswith("/products")
    for headers in ({"Origin": "https://evil.test"}, {"Sec-Fetch-Site": "cross-site"}):
        assert client.post("/lang", data={"lang": "en"}, headers=headers).status_code == 403
    assert 'lang="zh-HK"' in client.get("/").get_data(as_text=True).split("\n", 2)[1]
