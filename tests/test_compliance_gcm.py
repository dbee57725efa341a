"""Issue 4, item 3: Google Consent Mode v2 on the server (C21, C23)."""

from __future__ import annotations

import json
import re

from conftest import choose
from core_util import tags
from flask import render_template_string

from flask_consent import GCM_TYPES

PAGE = "<html><head>{{ consent_gcm_default() }}{{ consent_google_tag('G-TEST123') }}</head><body></body></html>"


def _app(make_app, **config):
    app = make_app(**config)

    @app.get("/tagged")
    def tagged() -> str:
        return render_template_string(PAGE)

    return app


def _default(html: str) -> dict:
    match = re.search(r"gtag\('consent','default',(\{.*?\})\);", html)
    assert match, html
    return json.loads(match.group(1))


def test_default_renders_all_seven_types_denied_when_undecided(make_app):  # C21
    html = _app(make_app).test_client().get("/tagged").get_data(as_text=True)
    params = _default(html)
    assert set(GCM_TYPES) <= set(params) and len(GCM_TYPES) == 7
    assert {t: params[t] for t in GCM_TYPES} == {
        t: "granted" if t == "security_storage" else "denied" for t in GCM_TYPES}
    assert params["wait_for_update"] == 500
    assert "window.dataLayer=window.dataLayer||[]" in html


def test_default_reflects_the_current_state(make_app):  # C21
    client = _app(make_app).test_client()
    choose(client, "save", ("analytics", "recommendations"))
    params = _default(client.get("/tagged").get_data(as_text=True))
    granted = {t for t in GCM_TYPES if params[t] == "granted"}
    assert granted == {"analytics_storage", "personalization_storage", "security_storage"}
    choose(client, "accept_all")
    params = _default(client.get("/tagged").get_data(as_text=True))
    assert {t for t in GCM_TYPES if params[t] == "granted"} == set(GCM_TYPES) - {"functionality_storage"}


def test_default_comes_before_the_google_tag_and_carries_the_csp_nonce(make_app):  # C21, C23
    client = _app(make_app, CONSENT_CSP_NONCE=lambda: "n0nce123").test_client()
    choose(client, "accept_all")
    html = client.get("/tagged").get_data(as_text=True)
    assert html.index("gtag('consent','default'") < html.index("googletagmanager.com")
    assert '<script nonce="n0nce123">window.dataLayer' in html
    (tag,) = tags(html, "script", data_consent="analytics advertising")
    assert tag["src"].endswith("G-TEST123") and tag["nonce"] == "n0nce123" and "async" in tag


def test_google_tag_is_inert_until_analytics_or_advertising_is_granted(make_app):  # C23
    client = _app(make_app).test_client()
    google = "https://www.googletagmanager.com/gtag/js?id=G-TEST123"

    def tag() -> dict:
        (found,) = tags(client.get("/tagged").get_data(as_text=True), "script", data_consent="analytics advertising")
        return found

    assert tag()["type"] == "text/plain" and "src" not in tag() and tag()["data-src"] == google
    choose(client, "save", ("location",))
    assert tag()["type"] == "text/plain" and "src" not in tag()
    choose(client, "save", ("advertising",))
    assert "type" not in tag() and tag()["src"] == google


def test_state_json_carries_the_gcm_map(client):  # C22 (the data the browser's update is built from)
    choose(client, "save", ("analytics",))
    gcm = client.get("/consent/state").get_json()["gcm"]
    assert set(gcm) == set(GCM_TYPES) and gcm["analytics_storage"] == "granted" and gcm["ad_storage"] == "denied"
