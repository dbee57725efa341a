"""Shared fixtures: apps on SQLite, PostgreSQL and MariaDB, a CSRF-aware client, a live server and Chromium."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, render_template_string
from werkzeug.serving import make_server

from flask_consent import Consent, Cookie, Purpose, consent_required, current_consent

PG_URL = os.environ.get("CONSENT_TEST_DATABASE_URL")
#: e.g. ``mysql+pymysql://root@127.0.0.1:3306/test``: each test gets a throw-away database on that server.
MARIADB_URL = os.environ.get("CONSENT_TEST_MARIADB_URL")
#: e.g. ``redis://127.0.0.1:6379/0``: the rate limit shared by several hosts.
REDIS_URL = os.environ.get("CONSENT_TEST_REDIS_URL")
#: CI sets it: a service test whose URL is not set fails instead of being skipped.
REQUIRE_SERVICES = os.environ.get("CONSENT_REQUIRE_SERVICES") == "1"
REQUIRE_BROWSER = os.environ.get("CONSENT_REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("CONSENT_CHROMIUM", "/usr/bin/chromium")

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test shop</title></head>
<body><main><h1>Test shop</h1><p>{{ 'rec:' ~ consent.granted('recommendations') }}</p>
<a href="/other">Other</a></main></body></html>"""


def shop_purposes() -> list[Purpose]:
    """Purposes shaped like the example shop's, for extension tests."""
    return [
        Purpose("recommendations", "Personalised recommendations", "Suggestions from what you browse.",
                cookies=[Cookie("recs_*", lifetime="30 days")], vendors=["Shop"], gcm=["personalization_storage"],
                refusal_effect="You see bestsellers instead."),
        Purpose("location", "Nearby offers", "Stores and offers near you.", why="To find stores near you.",
                refusal_effect="Pick a district by hand instead."),
        Purpose("analytics", "Analytics", "Counts visits.", cookies=[Cookie("_shop_analytics", lifetime="13 months")],
                vendors=["Local Analytics"], gcm=["analytics_storage"]),
        Purpose("advertising", "Advertising", "Marketing.", cookies=["_ads_*"], vendors=["Ad Partner"],
                gpc_opt_out=True, gcm=["ad_storage", "ad_user_data", "ad_personalization"]),
        Purpose("third_party_sharing", "Sharing with partners", "Affiliates use your data for their own offers.",
                gpc_opt_out=True, vendors=["Affiliate Co"]),
    ]


def require_service(variable: str) -> str:
    """The URL in ``variable``; without it the test is skipped, or fails under ``CONSENT_REQUIRE_SERVICES=1``."""
    value = os.environ.get(variable)
    if value:
        return value
    if REQUIRE_SERVICES:
        pytest.fail(f"CONSENT_REQUIRE_SERVICES=1 but {variable} is not set")
    pytest.skip(f"{variable} is not set")


#: The databases every ``db_url`` test runs on (the collection hook marks each with its name).
DATABASES = ("sqlite", "postgres", "mariadb")


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A fresh consent database: a SQLite file, a private schema in the test PostgreSQL, or a private
    database in the test MariaDB."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'consent.db'}"
        return
    with (pg_schema("t") if request.param == "postgres" else mariadb_database("t")) as url:
        yield url


@contextmanager
def pg_schema(prefix: str) -> Iterator[str]:
    """A URL of a private, throw-away schema in the test PostgreSQL (never the server itself: others share it)."""
    require_service("CONSENT_TEST_DATABASE_URL")
    assert PG_URL
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@contextmanager
def mariadb_database(prefix: str) -> Iterator[str]:
    """A URL of a private, throw-away database in the test MariaDB/MySQL server (others share the server)."""
    server = sa.engine.make_url(require_service("CONSENT_TEST_MARIADB_URL"))
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(server, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))  # the server's default collation
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path / 'consent.db'}"


def build_app(db: str, instance: str, purposes: list[Purpose] | None = None, **config: Any) -> Flask:
    app = Flask("consent_test_app", instance_path=instance)
    app.config.update(SECRET_KEY="test-secret-key-0123456789abcdef", TESTING=True, CONSENT_DATABASE_URL=db)
    app.config.update(config)
    consent = Consent()

    @app.get("/")
    def index() -> str:
        return render_template_string(PAGE)

    @app.get("/other")
    def other() -> str:
        return render_template_string(PAGE)

    @app.get("/hello")
    def hello() -> str:
        return "hello"

    def bestsellers() -> str:
        return "bestsellers"

    @app.get("/recommendations")
    @consent_required("recommendations", fallback=bestsellers)
    def recommendations() -> str:
        return "personalised"

    @app.get("/nearby")
    @consent_required("location")
    def nearby() -> str:
        return "<html><body>nearby stores</body></html>"

    @app.get("/set-analytics")
    def set_analytics() -> Any:
        from flask import make_response

        resp = make_response("<html><body>analytics</body></html>")
        resp.set_cookie("_shop_analytics", "1", httponly=True)
        resp.set_cookie("recs_seen", "1")
        return resp

    @app.get("/granted/<key>")
    def granted(key: str) -> str:
        return str(current_consent.granted(key))

    consent.init_app(app, purposes=shop_purposes() if purposes is None else purposes)
    app.extensions["consent"].store.init_db()
    return app


@pytest.fixture
def make_app(db_url: str, tmp_path: Any) -> Callable[..., Flask]:
    def factory(purposes: list[Purpose] | None = None, **config: Any) -> Flask:
        return build_app(db_url, str(tmp_path / "instance"), purposes, **config)

    return factory


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


def csrf_token(client: Any) -> str:
    """A CSRF token for this client's session, read the way the banner script reads it."""
    return str(client.get("/consent/state").get_json()["csrf_token"])


def choose(client: Any, action: str, purposes: tuple[str, ...] = (), scope: str = "all", **extra: Any) -> Any:
    """Post a consent choice as the no-JavaScript banner form does."""
    data = {"csrf_token": csrf_token(client), "action": action, "scope": scope, "purposes": list(purposes), **extra}
    return client.post("/consent", data=data)


def record_count(app: Flask) -> int:
    return int(app.extensions["consent"].store.count())


# --- live server and Chromium ----------------------------------------------------------------------------

class LiveServer:
    def __init__(self, app: Flask):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_server() -> Iterator[Callable[[Flask], LiveServer]]:
    servers: list[LiveServer] = []

    def start(app: Flask) -> LiveServer:
        s = LiveServer(app)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which("chromium") is not None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, never a downloaded browser."""
    if not chromium_available():
        if REQUIRE_BROWSER:
            pytest.fail(f"CONSENT_REQUIRE_BROWSER=1 but Chromium is not at {CHROMIUM}")
        pytest.skip("Chromium is not installed")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"],
    }


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "page" in getattr(item, "fixturenames", ()) or "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
        # Each database run of a db_url test is marked, so ``-m "not mariadb"`` leaves one server out; without
        # its URL the run is skipped, or fails where CONSENT_REQUIRE_SERVICES=1 (see require_service).
        callspec = getattr(item, "callspec", None)
        database = callspec.params.get("db_url") if callspec is not None else None
        if database in ("postgres", "mariadb"):
            item.add_marker(getattr(pytest.mark, database))
