"""Issue 18: the extension's pages wear the shop's layout (``CONSENT_BASE_TEMPLATE = "base.html"``), and its
consent history and receipts read as pages in all three languages.

Preferences, the just-in-time prompt, the cookie declaration, the history and a receipt each show the shop's
header, main navigation, language switch and footer, while the JSON answers stay JSON.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import decide
from .test_i18n_catalogs import CHINESE, english_runs, set_language

HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}


def shop_layout(html: str) -> list[str]:
    """What of the shop's layout is missing from ``html`` (an empty list: the page wears it), in any language."""
    wanted = {
        "header": '<header class="site-header">',
        "brand": '<a class="brand" href="/">',
        "main navigation": '<li><a href="/products">',
        "language switch": '<form class="lang-switch" method="post" action="/lang">',
        "繁體中文 button": 'value="zh-HK"',
        "简体中文 button": 'value="zh-CN"',
        "footer": '<footer class="site-footer">',
    }
    return [name for name, marker in wanted.items() if marker not in html]


def a_receipt_id(client: FlaskClient) -> str:
    records = client.get("/consent/history", headers=JSON).get_json()["records"]
    return str(records[0]["id"])


@pytest.mark.parametrize(("path", "status"), [
    ("/consent/preferences", 200),
    ("/nearby", 403),  # the just-in-time prompt for the location purpose
    ("/consent/declaration", 200),
    ("/consent/history", 200),
])
def test_consent_pages_wear_the_shop_layout(client: FlaskClient, path: str, status: int) -> None:
    decide(client, "reject_all")
    r = client.get(path, headers=HTML)
    assert r.status_code == status and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert shop_layout(html) == [], path
    assert re.search(r"<title>.+ · Harbour Goods</title>", html)
    assert html.count("<main") == 1 and '<div class="consent-page" lang="en"' in html


def test_a_receipt_wears_the_shop_layout(client: FlaskClient) -> None:
    decide(client, "save", "recommendations")
    r = client.get(f"/consent/receipt/{a_receipt_id(client)}", headers=HTML)
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert shop_layout(html) == []
    assert "<h1>Consent receipt</h1>" in html and "Personalised recommendations" in html
    assert "You chose on the privacy choices page" in html  # the method in words, not "preferences"


def test_the_prompt_in_the_shop_layout_still_asks_for_the_purpose(client: FlaskClient) -> None:
    html = client.get("/nearby", headers=HTML).get_data(as_text=True)
    assert re.search(r"<h1[^>]*>Allow nearby goods and offers \(location\)\?</h1>", html)
    assert 'name="purposes" value="location"' in html


def test_json_answers_stay_json(client: FlaskClient) -> None:
    decide(client, "accept_all")
    history = client.get("/consent/history", headers=JSON)
    assert history.mimetype == "application/json" and history.headers["Cache-Control"] == "no-store"
    record_id = history.get_json()["records"][0]["id"]
    receipt = client.get(f"/consent/receipt/{record_id}", headers=JSON)
    assert receipt.mimetype == "application/json" and receipt.get_json()["consentReceiptID"] == record_id
    assert client.get("/consent/state", headers=JSON).get_json()["purposes"]
    refused = client.get("/nearby", headers=JSON)
    assert refused.status_code == 403 and refused.mimetype == "application/json"


def test_the_receipt_names_the_shop_itself_no_third_party(client: FlaskClient) -> None:
    decide(client, "save", "recommendations", "analytics", "advertising")
    receipt = client.get(f"/consent/receipt/{a_receipt_id(client)}", headers=JSON).get_json()
    services = {s["purpose"]: s for s in receipt["services"]}
    for own in ("necessary", "recommendations", "analytics"):
        assert services[own]["thirdPartyDisclosure"] is False, own
    assert services["advertising"]["thirdPartyNames"] == ["Kowloon Ads (stand-in ad network)"]


@pytest.mark.parametrize("lang", CHINESE)
def test_history_and_receipts_show_no_english_sentence_in_chinese(
    shop: Flask, client: FlaskClient, lang: str
) -> None:
    decide(client, "accept_all")  # in English: the receipt still reads in the page's language
    decide(client, "save", "recommendations", "social_embeds")
    set_language(client, lang)
    decide(client, "grant", "location")
    paths = ["/consent/history"] + [f"/consent/receipt/{r['id']}" for r in
                                     client.get("/consent/history", headers=JSON).get_json()["records"]]
    assert len(paths) == 4
    for path in paths:
        r = client.get(path, headers=HTML)
        assert r.status_code == 200, path
        html = r.get_data(as_text=True)
        assert english_runs(html) == [], path
        assert f'<div class="consent-page" lang="{lang}"' in html and shop_layout(html) == []
    history = client.get("/consent/history", headers=HTML).get_data(as_text=True)
    assert {"zh-HK": "你的同意記錄", "zh-CN": "你的同意记录"}[lang] in history
