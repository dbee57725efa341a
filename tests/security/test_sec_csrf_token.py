"""The consent forms' own CSRF token: a signed double-submit cookie that needs no server session.

It is what makes a first page view cheap (no Flask session to create and sign), so these tests prove it is
as strict as Flask-WTF's: bound to the browser's cookie and the app's key, time-limited, refused cross-site,
and that Flask-WTF tokens and ``CSRFProtect`` keep working beside it.
"""

from __future__ import annotations

import re
import time
from typing import Any
from unittest import mock

import pytest
from conftest import build_app, csrf_token, record_count
from flask import Flask, render_template_string
from flask_wtf.csrf import CSRFProtect, generate_csrf

from flask_consent.csrf import CsrfSigner, new_value, valid_value

KEY = "test-secret-key-0123456789abcdef"
_TOKEN_IN_FORM = re.compile(r'name="csrf_token" value="([^"]+)"')


def _set_cookies(response: Any) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


# --- the signer ----------------------------------------------------------------------------------------------

def test_a_token_verifies_only_for_its_own_cookie_value() -> None:
    signer = CsrfSigner([KEY])
    value, other = new_value(), new_value()
    token = signer.token(value)
    assert valid_value(value) and token.startswith("c1.")
    assert signer.check(token, value, 3600)
    assert not signer.check(token, other, 3600)
    assert not signer.check(token, None, 3600)


@pytest.mark.parametrize("mangle", [
    # signature changed (not its last character, whose low bits are base64 padding: some changes decode alike)
    lambda t: t[:-5] + ("A" if t[-5] != "A" else "B") + t[-4:],
    lambda t: t.replace("c1.", "c2.", 1),  # unknown format
    lambda t: "c1.1." + t.rsplit(".", 1)[1],  # issued time changed: the signature covers it
    lambda t: t + "x",  # too long
    lambda t: "",  # empty
    lambda t: "c1..",  # no parts
    lambda t: "c1.99999999999999999999." + "A" * 22,  # absurd time
])
def test_a_mangled_token_is_refused(mangle: Any) -> None:
    signer = CsrfSigner([KEY])
    value = new_value()
    assert not signer.check(mangle(signer.token(value)), value, 3600)


@pytest.mark.parametrize("value", ["", "short", "x" * 22 + "y", "a b" + "c" * 19, "é" * 22])
def test_a_cookie_value_of_the_wrong_shape_is_refused(value: str) -> None:
    signer = CsrfSigner([KEY])
    assert not valid_value(value)
    assert not signer.check(signer.token(value), value, 3600)


def test_a_token_expires_after_the_time_limit_and_never_comes_from_the_future() -> None:
    signer = CsrfSigner([KEY])
    value = new_value()
    now = int(time.time())
    old = _token_at(signer, value, now - 3601)
    assert not signer.check(old, value, 3600)
    assert signer.check(old, value, None)  # WTF_CSRF_TIME_LIMIT = None: no limit
    assert signer.check(_token_at(signer, value, now - 3590), value, 3600)
    assert not signer.check(_token_at(signer, value, now + 3600), value, 3600)


def _token_at(signer: CsrfSigner, value: str, at: int) -> str:
    """A token ``signer`` issued at ``at`` (epoch seconds)."""
    with mock.patch.object(signer.signer, "get_timestamp", return_value=at):
        return signer.token(value)


def test_key_rotation_keeps_tokens_of_the_old_key_until_it_is_dropped() -> None:
    value = new_value()
    old_token = CsrfSigner(["old-key-0123456789abcdef0123456789"]).token(value)
    rotated = CsrfSigner(["old-key-0123456789abcdef0123456789", KEY])  # fallbacks first, newest last
    assert rotated.check(old_token, value, 3600)
    assert CsrfSigner([KEY]).check(rotated.token(value), value, 3600)  # the newest key signs
    assert not CsrfSigner([KEY]).check(old_token, value, 3600)


# --- in the app ----------------------------------------------------------------------------------------------

def test_first_visit_sets_a_csrf_cookie_and_no_session(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/")
    cookies = _set_cookies(response)
    assert set(cookies) == {"consent_csrf"}, "a first page view must not create a Flask session"
    header = cookies["consent_csrf"]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Max-Age" not in header and "Expires" not in header  # ends with the browser session
    value = client.get_cookie("consent_csrf").value
    (token,) = _TOKEN_IN_FORM.findall(response.get_data(as_text=True))
    assert app.extensions["consent"].csrf.check(token, value, 3600)
    # The next page reuses the cookie: no new Set-Cookie, a fresh token for the same value.
    again = client.get("/other")
    assert "consent_csrf" not in _set_cookies(again)
    (token2,) = _TOKEN_IN_FORM.findall(again.get_data(as_text=True))
    assert app.extensions["consent"].csrf.check(token2, value, 3600)


def test_a_page_without_a_consent_form_sets_no_csrf_cookie(app: Flask) -> None:
    client = app.test_client()
    client.get("/hello")
    assert client.get_cookie("consent_csrf") is None


def test_the_banner_form_posts_with_its_token_and_cookie(app: Flask) -> None:
    client = app.test_client()
    (token,) = _TOKEN_IN_FORM.findall(client.get("/").get_data(as_text=True))
    r = client.post("/consent", data={"csrf_token": token, "action": "reject_all", "scope": "due", "next": "/"})
    assert r.status_code == 303 and record_count(app) == 1


def test_the_token_without_its_cookie_is_refused(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client)
    client.delete_cookie("consent_csrf")
    form = client.post("/consent", data={"csrf_token": token, "action": "accept_all"})
    as_json = client.post("/consent", json={"action": "accept_all"}, headers={"X-CSRFToken": token})
    assert form.status_code == 400 and as_json.status_code == 400
    assert record_count(app) == 0


def test_a_forged_cookie_and_token_pair_is_refused(app: Flask) -> None:
    client = app.test_client()
    value = new_value()
    client.set_cookie("consent_csrf", value)
    forged = CsrfSigner(["not-the-app-key-0123456789abcdef"]).token(value)
    r = client.post("/consent", data={"csrf_token": forged, "action": "accept_all"})
    assert r.status_code == 400 and record_count(app) == 0


def test_an_expired_token_is_refused_with_the_session_expired_message(make_app: Any) -> None:
    app = make_app(WTF_CSRF_TIME_LIMIT=60)
    client = app.test_client()
    csrf_token(client)
    value = client.get_cookie("consent_csrf").value
    stale = _token_at(app.extensions["consent"].csrf, value, int(time.time()) - 61)
    r = client.post("/consent", json={"action": "accept_all"}, headers={"X-CSRFToken": stale})
    assert r.status_code == 400 and r.get_json()["error"] == "csrf"
    fresh = app.extensions["consent"].csrf.token(value)
    assert client.post("/consent", json={"action": "accept_all"}, headers={"X-CSRFToken": fresh}).status_code == 200


def test_a_post_the_browser_marks_cross_site_is_refused_even_with_a_valid_token(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client)
    r = client.post("/consent", data={"csrf_token": token, "action": "accept_all"},
                    headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 400 and record_count(app) == 0
    ok = client.post("/consent", data={"csrf_token": token, "action": "accept_all"},
                     headers={"Sec-Fetch-Site": "same-origin"})
    assert ok.status_code == 303 and record_count(app) == 1


def test_a_flask_wtf_token_from_the_apps_own_form_is_still_accepted(app: Flask) -> None:
    app.add_url_rule("/own-form", "own_form", lambda: render_template_string("{{ token() }}", token=generate_csrf))
    client = app.test_client()
    token = client.get("/own-form").get_data(as_text=True)
    assert not token.startswith("c1.")
    r = client.post("/consent", data={"csrf_token": token, "action": "accept_all", "scope": "all"})
    assert r.status_code == 303 and record_count(app) == 1


@pytest.mark.parametrize("protect_first", [True, False], ids=["CSRFProtect-first", "Consent-first"])
def test_csrfprotect_lets_consent_posts_through_and_still_guards_the_app(
    sqlite_url: str, tmp_path: Any, protect_first: bool
) -> None:
    protect = CSRFProtect()
    if protect_first:
        app = Flask("csrfprotect_first", instance_path=str(tmp_path))
        app.config.update(SECRET_KEY=KEY, CONSENT_DATABASE_URL=sqlite_url)
        protect.init_app(app)
        from flask_consent import Consent, Purpose

        Consent(app, purposes=[Purpose("analytics", "Analytics", "Counts visits.")])
        app.add_url_rule("/", "index", lambda: "<html><body>home</body></html>")
    else:
        app = build_app(sqlite_url, str(tmp_path), TESTING=False)
        protect.init_app(app)
    app.add_url_rule("/shop-post", "shop_post", lambda: "ok", methods=["POST"])
    app.extensions["consent"].store.init_db()
    client = app.test_client()
    token = csrf_token(client)
    r = client.post("/consent", data={"csrf_token": token, "action": "accept_all", "scope": "all"})
    assert r.status_code == 303 and record_count(app) == 1
    assert client.post("/consent", data={"action": "reject_all"}).status_code == 400  # our own check
    assert client.post("/shop-post", data={"csrf_token": token}).status_code == 400  # the app's stays guarded
