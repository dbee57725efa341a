"""A developer's configuration mistake fails at start-up (or, for what only a request can tell, on the first
request) with a ``ConfigurationError`` that names the setting and the fix, never as a 500 on some page later or
as a value silently read another way."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jinja2 import DictLoader

from flask_consent import Consent, Purpose
from flask_consent.exc import ConfigurationError

SECRET = "config-mistakes-secret-0123456789abcdef"


def _app(tmp_path: Path, **config: Any) -> Flask:
    app = Flask("config_mistakes", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY=SECRET, TESTING=True, CONSENT_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}")
    app.config.update(config)

    @app.get("/")
    def index() -> str:
        return "<html><body>shop</body></html>"

    return app


@pytest.mark.parametrize(("setting", "value", "fix"), [
    ("CONSENT_COOKIE_SAMESITE", "bogus", "use 'Lax', 'Strict' or 'None'"),
    ("CONSENT_LOCALE_SELECTOR", "zh-HK", "must be a function returning the request's locale"),
    ("CONSENT_CSP_NONCE", "abc", "must be a function returning this request's nonce"),
    ("CONSENT_RATE_LIMIT_KEY", "127.0.0.1", "must be a function naming the client"),
    ("CONSENT_TRANSLATION_DIRECTORIES", 5, "use a folder"),
    ("CONSENT_CONTROLLER", "Shop Ltd", "use a dict naming who is responsible"),
    ("CONSENT_AUTO_INJECT", "false", "use True or False"),
    ("CONSENT_AUTO_INJECT", 2, "use True or False"),
    ("CONSENT_COOKIE_SECURE", "false", "use True, False or None"),
    ("CONSENT_CREATE_TABLES", "0", "use True or False"),
    ("CONSENT_GPC_LAST_UPDATE", "26 Nov 2026", "'YYYY-MM-DD'"),
    ("CONSENT_RATE_LIMIT", "30 per banana", "use the limits notation"),
    ("CONSENT_RATE_LIMIT_STORAGE_URI", "bogus://x", "use memory:// or e.g. redis://"),
    ("WTF_CSRF_TIME_LIMIT", "abc", "a number of seconds"),
    ("CONSENT_MAX_AGE", timedelta(days=1000), "is 1000 days, 0:00:00; use at most 395 days"),
    ("CONSENT_MAX_AGE", timedelta(days=395, seconds=1), "is 395 days, 0:00:01; use at most 395 days"),
    ("CONSENT_COOKIE_SAMESITE", "None", "set CONSENT_COOKIE_SECURE = True"),
])
def test_a_setting_the_extension_cannot_use_fails_at_start_up_naming_it_and_the_fix(tmp_path, setting, value, fix):
    app = _app(tmp_path, **{setting: value})
    with pytest.raises(ConfigurationError) as info:
        Consent(app, purposes=[Purpose("analytics")])
    assert setting in str(info.value) and fix in str(info.value)


@pytest.mark.parametrize(("value", "served"), [
    ("2026-11-26", "2026-11-26"),
    (date(2026, 1, 2), "2026-01-02"),
    (datetime(2026, 1, 2, 15, 30), "2026-01-02"),
])
def test_gpc_json_serves_the_last_update_as_the_contract_writes_it(tmp_path, value, served):
    app = _app(tmp_path, CONSENT_GPC_LAST_UPDATE=value)
    Consent(app, purposes=[Purpose("analytics")])
    assert app.test_client().get("/.well-known/gpc.json").get_json() == {"gpc": True, "lastUpdate": served}


@pytest.mark.parametrize("off", [False, 0])
def test_flags_keep_their_meaning(tmp_path, off):
    """``0`` and ``1`` are what ``app.config.from_prefixed_env()`` makes of ``FLASK_CONSENT_AUTO_INJECT=0``."""
    app = _app(tmp_path, CONSENT_AUTO_INJECT=off, CONSENT_COOKIE_SECURE=None, CONSENT_COOKIE_SAMESITE="strict",
               CONSENT_CREATE_TABLES=1)
    Consent(app, purposes=[Purpose("analytics")])
    settings = app.extensions["consent"].settings
    assert settings.auto_inject is False and settings.cookie_secure is None and settings.cookie_samesite == "Strict"
    assert settings.create_tables is True
    assert "consent-banner" not in app.test_client().get("/").get_data(as_text=True)


def test_samesite_none_works_on_a_secure_cookie(tmp_path):
    app = _app(tmp_path, CONSENT_COOKIE_SAMESITE="None", CONSENT_COOKIE_SECURE=True)
    Consent(app, purposes=[Purpose("analytics")])
    assert app.extensions["consent"].settings.cookie_samesite == "None"


def test_a_storage_uri_with_a_password_is_never_printed(tmp_path):
    app = _app(tmp_path, CONSENT_RATE_LIMIT_STORAGE_URI="bogus+tls://:S3cretPW@cache.example:6379")
    with pytest.raises(ConfigurationError) as info:
        Consent(app, purposes=[Purpose("analytics")])
    assert "S3cretPW" not in str(info.value) and "bogus+tls://:***@cache.example:6379" in str(info.value)


def test_every_limit_of_a_rate_limit_applies(tmp_path):
    """``"30/minute;2/second"`` is two limits, as in Flask-Limiter: the third post within a second is refused."""
    app = _app(tmp_path, CONSENT_RATE_LIMIT="30/minute;2/second")
    Consent(app, purposes=[Purpose("analytics")])
    client = app.test_client()
    token = client.get("/consent/state").get_json()["csrf_token"]
    codes = [client.post("/consent", json={"action": action}, headers={"X-CSRFToken": token}).status_code
             for action in ("accept_all", "reject_all", "accept_all")]
    assert codes == [200, 200, 429]


def test_a_sqlite_log_in_the_instance_folder_needs_no_folder_made_first(tmp_path):
    """The instance folder is made at set-up, as it is for the default log: naming the same file explicitly,
    before the folder exists, works too."""
    app = _app(tmp_path, CONSENT_DATABASE_URL=f"sqlite:///{tmp_path / 'instance' / 'consent.db'}")
    Consent(app, purposes=[Purpose("analytics")])
    client = app.test_client()
    token = client.get("/consent/state").get_json()["csrf_token"]
    assert client.post("/consent", json={"action": "accept_all"}, headers={"X-CSRFToken": token}).status_code == 200


def test_the_longest_max_age_gives_a_cookie_that_browsers_keep(tmp_path):
    app = _app(tmp_path, CONSENT_MAX_AGE=timedelta(days=395))
    Consent(app, purposes=[Purpose("analytics")])
    assert app.extensions["consent"].settings.cookie_lifetime <= 400 * 86400


def test_a_sqlite_log_in_a_folder_that_does_not_exist_fails_at_start_up(tmp_path):
    missing = tmp_path / "no" / "such" / "folder"
    app = _app(tmp_path, CONSENT_DATABASE_URL=f"sqlite:///{missing / 'consent.db'}")
    with pytest.raises(ConfigurationError, match="CONSENT_DATABASE_URL") as info:
        Consent(app, purposes=[Purpose("analytics")])
    assert str(missing) in str(info.value) and "create it" in str(info.value)
    missing.mkdir(parents=True)
    Consent(app, purposes=[Purpose("analytics")])  # once the folder exists, the same URL works


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_sqlite_log_needs_no_folder(tmp_path, url):
    Consent(_app(tmp_path, CONSENT_DATABASE_URL=url), purposes=[Purpose("analytics")])


def test_a_base_template_the_app_cannot_find_fails_on_the_first_request_with_the_fix(tmp_path):
    app = _app(tmp_path, CONSENT_BASE_TEMPLATE="shop/layout.html")
    Consent(app, purposes=[Purpose("analytics")])
    with pytest.raises(ConfigurationError) as info:
        app.test_client().get("/")
    assert "CONSENT_BASE_TEMPLATE is 'shop/layout.html'" in str(info.value) and "fix the name" in str(info.value)
    app.jinja_loader = DictLoader({  # type: ignore[assignment,method-assign]
        "shop/layout.html": "<html><body>{% block content %}{% endblock %}</body></html>"})
    app.jinja_env.cache = {}
    assert app.test_client().get("/consent/preferences").status_code == 200
