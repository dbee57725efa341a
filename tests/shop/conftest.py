"""Fixtures for the example shop: a fresh shop per test in a temporary instance folder."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from example_shop import create_app
from example_shop.seed import DEMO_ADMIN, DEMO_MEMBER, demo_logins

FAST_HASH = "pbkdf2:sha256:1000"


@pytest.fixture(scope="session")
def seeded_instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An instance folder seeded once, copied for each test (creating and seeding SQLite costs ~1 s)."""
    path = tmp_path_factory.mktemp("seeded") / "instance"
    create_app({"TESTING": True, "INSTANCE_PATH": str(path), "SHOP_PASSWORD_METHOD": FAST_HASH})
    return path


@pytest.fixture
def make_shop(tmp_path: Any, seeded_instance: Path) -> Callable[..., Flask]:
    def factory(**config: Any) -> Flask:
        instance = tmp_path / "instance"
        if not instance.exists():
            shutil.copytree(seeded_instance, instance)
        return create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "SHOP_PASSWORD_METHOD": FAST_HASH,
                           **config})

    return factory


@pytest.fixture
def shop(make_shop: Callable[..., Flask]) -> Flask:
    """The shop on SQLite (its own data and the consent log both in the instance folder)."""
    return make_shop()


@pytest.fixture
def shop_on(make_shop: Callable[..., Flask], db_url: str) -> Flask:
    """The shop with its consent log on SQLite and on PostgreSQL (``db_url``)."""
    return make_shop(CONSENT_DATABASE_URL=db_url)


@pytest.fixture
def client(shop: Flask) -> FlaskClient:
    return shop.test_client()


def token(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token of this client's session, after a visit to ``path``, from ``/csrf-token`` (the page
    may carry none: the shop issues tokens only where a form or a script needs one)."""
    assert client.get(path).status_code < 500
    response = client.get("/csrf-token")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return str(response.get_json()["csrf_token"])


def decide(client: FlaskClient, action: str, *purposes: str, scope: str = "all") -> None:
    """Post a consent choice like the banner form does."""
    r = client.post("/consent", data={"csrf_token": token(client), "action": action, "scope": scope,
                                      "purposes": list(purposes), "next": "/"})
    assert r.status_code == 303, r.get_data(as_text=True)


def login(client: FlaskClient, app: Flask, email: str = DEMO_MEMBER) -> None:
    password = demo_logins(app)[email]
    r = client.post("/account/login", data={"csrf_token": token(client, "/account/login"), "email": email,
                                            "password": password})
    assert r.status_code == 303, r.get_data(as_text=True)


def login_admin(client: FlaskClient, app: Flask) -> None:
    login(client, app, DEMO_ADMIN)


def register(client: FlaskClient, email: str = "mei@example.test", name: str = "Wong Siu Mei") -> None:
    r = client.post("/account/register", data={
        "csrf_token": token(client, "/account/register"), "name": name, "email": email,
        "password": "correct horse battery", "confirm": "correct horse battery",
    })
    assert r.status_code == 303, r.get_data(as_text=True)


def cookie_names(client: FlaskClient) -> set[str]:
    return {c.key for c in client._cookies.values()}  # type: ignore[attr-defined]


def set_cookie_names(response: Any) -> list[str]:
    return [h.split("=", 1)[0] for h in response.headers.getlist("Set-Cookie")]
