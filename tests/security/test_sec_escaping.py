"""Purpose texts, vendor names, translations and reflected values come out as text, never as markup."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import build_app, choose
from flask import render_template_string
from payloads import XSS

from flask_consent import Cookie, Purpose

RAW = ("<script>alert(1)</script>", "<img src=x onerror", "onerror=alert(2)>", '"><script>alert')
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def hostile_purposes() -> list[Purpose]:
    text = {"en": "EN " + XSS, "zh-HK": "HK " + XSS, "zh-CN": "CN " + XSS}
    return [
        Purpose("location", title=text, description=XSS, why=XSS, refusal_effect=text, vendors=[XSS],
                cookies=[Cookie("loc_" + "x", lifetime=XSS, description=XSS)]),
        Purpose("analytics", title=XSS, description=text, vendors=[XSS, "Fine Vendor"],
                cookies=[Cookie("_shop_analytics", lifetime=text, description=text)], gcm=["analytics_storage"]),
        Purpose("recommendations", title=XSS, description=XSS, vendors=[XSS]),
        Purpose("advertising", title=XSS, description=XSS, vendors=[XSS], gpc_opt_out=True,
                justification=XSS, refusal_effect=XSS),
    ]


@pytest.fixture
def hostile_app(tmp_path: Any) -> Any:
    app = build_app(f"sqlite:///{tmp_path / 'consent.db'}", str(tmp_path / "instance"), hostile_purposes(),
                    CONSENT_RATE_LIMIT=None, CONSENT_CSP_NONCE=lambda: XSS)

    @app.get("/embeds")
    def embeds() -> str:
        return render_template_string(
            "<!doctype html><html><body>{{ consent_script('analytics', src=src, data_x=src) }}"
            "{{ consent_iframe('location', src=src, title=src) }}{{ consent_gcm_default() }}</body></html>",
            src=XSS,
        )

    return app


def _assert_no_raw_markup(body: str, where: str) -> None:
    for raw in RAW:
        assert raw not in body, f"{where}: {raw!r} rendered as markup"
    for script in re.findall(r"<script[^>]*>(.*?)</script>", body, flags=re.S):
        assert "alert(" not in script, f"{where}: the payload reached a script body"


@pytest.mark.parametrize("lang", ["en", "zh-HK", "zh-CN"])
def test_every_page_renders_hostile_texts_as_text(hostile_app, lang):  # C10
    client = hostile_app.test_client()
    headers = {"Accept-Language": lang}
    pages = {
        "banner": client.get("/", headers=headers),
        "preferences": client.get("/consent/preferences", headers=headers),
        "prompt": client.get("/nearby", headers=headers),
        "declaration": client.get("/consent/declaration", headers=headers),
        "placeholder, script, GCM": client.get("/embeds", headers=headers),
    }
    for where, response in pages.items():
        body = response.get_data(as_text=True)
        assert response.mimetype == "text/html"
        _assert_no_raw_markup(body, where)
    assert ESCAPED in pages["banner"].get_data(as_text=True), "the purpose text is shown, as text"


def test_reopened_banner_and_error_page_escape_too(hostile_app):  # C10
    client = hostile_app.test_client()
    choose(client, "reject_all")
    _assert_no_raw_markup(client.get("/").get_data(as_text=True), "reopen control")
    error = client.post("/consent", data={"action": XSS, "next": XSS, "csrf_token": "x"})
    assert error.status_code == 400
    _assert_no_raw_markup(error.get_data(as_text=True), "CSRF error page")
    token = client.get("/consent/state").get_json()["csrf_token"]
    bad = client.post("/consent", data={"action": "save", "purposes": [XSS], "csrf_token": token})
    assert bad.status_code == 400
    _assert_no_raw_markup(bad.get_data(as_text=True), "choice error page")


def test_reflected_query_values_are_escaped(hostile_app):  # C10
    client = hostile_app.test_client()
    raw_query = "/?q=" + XSS
    for path in (raw_query, "/consent/preferences?next=" + XSS, "/nearby?back=" + XSS + "&x=" + XSS,
                 "/embeds?" + XSS):
        _assert_no_raw_markup(client.get(path, headers={"Referer": "http://localhost/" + XSS}).get_data(
            as_text=True), path)


def test_json_answers_are_json_not_html(hostile_app):  # C10
    client = hostile_app.test_client()
    for path in ("/consent/state", "/consent/declaration.json", "/consent/history", "/consent/openapi.json"):
        r = client.get(path)
        assert r.mimetype == "application/json", path
    assert client.get("/consent/state").get_json()["purposes"][2]["title"] == XSS, "kept intact, just not as HTML"
