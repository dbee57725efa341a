"""Issue 4, item 4: Set-Cookie enforcement on the server (C6)."""

from __future__ import annotations

import logging

import pytest
from conftest import choose, csrf_token, shop_purposes
from core_util import ext, set_cookie_headers, set_cookie_named
from flask import make_response
from flask.testing import FlaskCliRunner

from flask_consent import Cookie, Purpose


def _with_cookie_views(app):
    @app.get("/set/<name>")
    def set_named(name: str):
        response = make_response("<html><body>set</body></html>")
        response.set_cookie(name, "v", httponly=True)
        return response

    @app.get("/forget-analytics")
    def forget():
        response = make_response("ok")
        response.delete_cookie("_shop_analytics")
        return response

    return app


def test_analytics_cookie_set_without_consent_never_reaches_the_client(client):  # C6
    response = client.get("/set-analytics")
    assert set_cookie_named(response, "_shop_analytics") == [] and set_cookie_named(response, "recs_seen") == []
    assert client.get_cookie("_shop_analytics") is None


def test_refused_purpose_cookies_are_dropped_granted_ones_pass(client):  # C6
    choose(client, "save", ("analytics",))
    response = client.get("/set-analytics")
    assert set_cookie_named(response, "_shop_analytics") and not set_cookie_named(response, "recs_seen")
    choose(client, "accept_all")
    assert set_cookie_named(client.get("/set-analytics"), "recs_seen")


def test_necessary_and_session_cookies_always_pass(make_app):  # C6
    client = _with_cookie_views(make_app()).test_client()
    for name in ("session", "remember_token", "consent"):
        assert set_cookie_named(client.get(f"/set/{name}"), name), name


def test_deleting_a_cookie_is_always_allowed(make_app):  # C6
    client = _with_cookie_views(make_app()).test_client()
    (header,) = set_cookie_named(client.get("/forget-analytics"), "_shop_analytics")
    assert "Max-Age=0" in header


def test_a_value_that_looks_like_a_deletion_is_still_blocked(make_app):  # C6
    app = make_app()

    @app.get("/sneaky")
    def sneaky():
        response = make_response("ok")
        response.headers.add("Set-Cookie", "_shop_analytics=max-age=0; Path=/")
        response.headers.add("Set-Cookie", "recs_x=1; Expires=Thu, 01 Jan 2099 00:00:00 GMT; Comment=1970")
        return response

    assert set_cookie_headers(app.test_client().get("/sneaky")) == []


def test_gpc_blocks_advertising_cookies_even_with_a_stored_grant(make_app):  # C6, C19
    client = _with_cookie_views(make_app()).test_client()
    choose(client, "accept_all")
    assert set_cookie_named(client.get("/set/_ads_id"), "_ads_id")
    headers = set_cookie_named(client.get("/set/_ads_id", headers={"Sec-GPC": "1"}), "_ads_id")
    assert all(h.startswith("_ads_id=;") and "Max-Age=0" in h for h in headers), "only the expiry gets through"
    assert not set_cookie_named(client.get("/set/_ads_id", headers={"Sec-GPC": "1"}), "_ads_id")


def test_undeclared_cookies(make_app, caplog):  # C6
    for mode, passes in (("warn", True), ("allow", True), ("block", False)):
        caplog.clear()
        client = _with_cookie_views(make_app(CONSENT_UNDECLARED_COOKIES=mode)).test_client()
        with caplog.at_level(logging.INFO, logger="flask_consent"):
            for _ in range(3):
                assert bool(set_cookie_named(client.get("/set/mystery"), "mystery")) is passes, mode
            client.get("/set/other_mystery")
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "mystery" in r.getMessage()]
        if mode == "allow":
            assert warnings == []
        else:
            assert [r.getMessage().split("'")[1] for r in warnings] == ["mystery", "other_mystery"], mode


def test_undeclared_cookies_are_listed_by_the_audit_command(make_app):  # C6
    app = _with_cookie_views(make_app())
    client = app.test_client()
    client.get("/set/mystery")
    client.get("/set/mystery")
    client.get("/set/_shop_analytics")
    result = FlaskCliRunner(app).invoke(args=["consent", "audit"])
    assert result.exit_code == 0 and result.output.split() == ["mystery"]


def test_bad_undeclared_mode_fails_at_start_up(make_app):
    from flask_consent import ConfigurationError

    with pytest.raises(ConfigurationError, match="'warn', 'block' or 'allow'"):
        make_app(CONSENT_UNDECLARED_COOKIES="ignore")


def test_withdrawing_expires_the_purpose_cookies_in_the_same_response(client):  # C6
    choose(client, "accept_all")
    client.set_cookie("_shop_analytics", "abc", httponly=True)
    client.set_cookie("recs_last", "1")
    client.set_cookie("unrelated", "1")
    response = choose(client, "save", ("recommendations",))
    (expired,) = set_cookie_named(response, "_shop_analytics")
    assert "Max-Age=0" in expired and "HttpOnly" in expired and "Path=/" in expired
    assert not set_cookie_named(response, "recs_last") and not set_cookie_named(response, "unrelated")
    assert client.get_cookie("_shop_analytics") is None and client.get_cookie("recs_last") is not None


def test_withdrawing_through_json_expires_cookies_too(client):  # C6
    choose(client, "accept_all")
    client.set_cookie("_shop_analytics", "abc")
    response = client.post("/consent", json={"action": "reject_all"}, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 200 and "Max-Age=0" in set_cookie_named(response, "_shop_analytics")[0]


def test_expiry_uses_the_declared_path_and_domain(make_app):  # C6
    purposes = [p for p in shop_purposes() if p.key != "analytics"] + [
        Purpose("analytics", "Analytics", cookies=[Cookie("_shop_analytics", path="/shop", domain="localhost")])]
    client = make_app(purposes=purposes).test_client()
    choose(client, "accept_all")
    response = choose(client, "reject_all")  # the /shop cookie never reaches /consent, yet it is expired
    (expired,) = set_cookie_named(response, "_shop_analytics")
    assert "Path=/shop" in expired and "Domain=localhost" in expired and "HttpOnly" in expired


def test_no_expiry_when_nothing_is_withdrawn(client):  # C6
    choose(client, "save", ("analytics",))
    client.set_cookie("_shop_analytics", "abc")
    response = choose(client, "grant", ("location",))
    assert [h.split("=", 1)[0] for h in set_cookie_headers(response)] in (["consent"], ["session", "consent"])


def test_necessary_declares_the_framework_cookies_from_config(make_app):  # C6, C10
    app = make_app(SESSION_COOKIE_NAME="shop_session", REMEMBER_COOKIE_NAME="shop_remember",
                   CONSENT_COOKIE_NAME="shop_consent")
    names = {c.pattern for c in ext(app).registry["necessary"].cookies}
    assert {"shop_session", "shop_remember", "shop_consent"} <= names


def test_no_expiry_for_a_root_path_cookie_the_browser_does_not_hold(client):  # C6
    choose(client, "accept_all")
    response = choose(client, "reject_all")
    assert not set_cookie_named(response, "_shop_analytics")
