"""The extension's templates as plain HTML (issue 17, items 2, 3 and 9): the checker findings, the colour scheme,
the shop's own layout for every extension page, prompt titles as sentences, and history and receipts in words."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import pytest
from conftest import build_app, choose
from core_util import tags
from flask import Flask, render_template
from jinja2 import DictLoader

from flask_consent import Cookie, Purpose
from flask_consent.i18n import strings
from flask_consent.purposes import localise
from flask_consent.records import receipt
from flask_consent.store import ConsentRecord

SHOP_BASE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{% block title %}{% endblock %} · Shop</title>
<link rel="stylesheet" href="/static/shop.css"></head>
<body><header id="shop-header"><a href="/">Harbour Goods</a> <a href="/?lang=zh">中文</a></header>
<main id="shop-main">{% block content %}{% endblock %}</main><footer id="shop-footer">Footer</footer></body></html>"""


@pytest.fixture
def make(sqlite_url: str, tmp_path: Any):
    def factory(purposes: list[Purpose] | None = None, **config: Any) -> Flask:
        return build_app(sqlite_url, str(tmp_path / "instance"), purposes, **config)

    return factory


def _banner(html: str) -> str:
    start = html.index('<section id="consent-banner"')
    return html[start: html.index("</form>", start)]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_banner_checkboxes_are_in_a_fieldset_with_a_legend(make) -> None:  # C30 (Nu checker, axe)
    banner = _banner(make().test_client().get("/").get_data(as_text=True))
    fieldset = banner[banner.index("<fieldset"): banner.index("</fieldset>")]
    assert re.search(r"<legend>\s*Customise\s*</legend>", fieldset)
    assert len(tags(fieldset, "input", type="checkbox")) == len(tags(banner, "input", type="checkbox")) == 6


def test_banner_section_carries_no_redundant_region_role(make) -> None:  # C30
    html = make().test_client().get("/").get_data(as_text=True)
    (root,) = [t for t in tags(html, "section") if t.get("id") == "consent-banner"]
    assert "role" not in root and root["aria-labelledby"] == "consent-banner-title"
    assert 'role="region"' not in html


def test_privacy_choices_control_is_not_a_complementary_landmark(make) -> None:  # C11 (axe)
    client = make().test_client()
    choose(client, "reject_all")
    html = client.get("/").get_data(as_text=True)
    assert "<aside" not in html
    (dock,) = tags(html, "nav")
    assert dock["class"] == "consent-dock" and dock["aria-label"] == "Privacy choices" and dock["lang"] == "en"
    # The banner brings the same control along for the script to put in place after a choice (no aside there).
    fresh = make().test_client().get("/").get_data(as_text=True)
    assert "<template><nav class=\"consent-dock\"" in fresh and "<aside" not in fresh


@pytest.mark.parametrize("path", ["/consent/preferences", "/consent/declaration", "/nearby"])
def test_extension_pages_do_not_request_a_favicon(make, path: str) -> None:  # Lighthouse: /favicon.ico 404
    html = make().test_client().get(path).get_data(as_text=True)
    assert '<link rel="icon" href="data:,">' in html


@pytest.mark.parametrize("scheme", ["auto", "light", "dark"])
def test_color_scheme_is_on_the_banner_the_control_and_the_pages(make, scheme: str) -> None:
    config = {} if scheme == "auto" else {"CONSENT_COLOR_SCHEME": scheme}
    client = make(**config).test_client()
    marker = f'data-color-scheme="{scheme}"'
    assert re.search(rf'<section id="consent-banner"[^>]*{marker}', client.get("/").get_data(as_text=True))
    assert marker in client.get("/consent/preferences").get_data(as_text=True)
    choose(client, "reject_all")
    assert re.search(rf'<nav class="consent-dock"[^>]*{marker}', client.get("/").get_data(as_text=True))


def test_pages_stand_alone_without_a_base_template(make) -> None:
    html = make().test_client().get("/consent/preferences").get_data(as_text=True)
    assert html.startswith("<!doctype html>") and '<body class="consent-body"' in html
    assert '<main class="consent-main">' in html and '<div class="consent-page" lang="en"' in html
    assert html.count("consent/consent.css") == 1 and "<title>Privacy choices</title>" in html


def _with_shop_base(app: Flask) -> Flask:
    app.jinja_loader = DictLoader({"shop_base.html": SHOP_BASE})
    return app


@pytest.mark.parametrize("path,title", [
    ("/consent/preferences", "Privacy choices"),
    ("/consent/declaration", "Cookie and SDK declaration"),
    ("/nearby", "Allow nearby offers?"),
])
def test_pages_extend_the_shops_base_template(make, path: str, title: str) -> None:  # issue 17 item 3
    client = _with_shop_base(make(CONSENT_BASE_TEMPLATE="shop_base.html")).test_client()
    html = client.get(path).get_data(as_text=True)
    assert f"<title>{title} · Shop</title>" in html
    assert '<header id="shop-header">' in html and '<footer id="shop-footer">' in html
    main = html[html.index('<main id="shop-main">'): html.index("</main>")]
    assert '<div class="consent-page"' in main and "<h1" in main and title in main
    assert "<!doctype html>" not in main and "consent-body" not in html, "the standalone layout is not used"
    # The page's own assets come with its content (the shop's layout does not know about them); the declaration
    # page also gets the banner, which brings them again.
    assert html.count("consent/consent.css") == html.count("consent/consent.js") == (2 if "declaration" in path else 1)


def test_forms_keep_working_inside_the_shops_layout(make) -> None:  # C32
    client = _with_shop_base(make(CONSENT_BASE_TEMPLATE="shop_base.html")).test_client()
    html = client.get("/consent/preferences").get_data(as_text=True)
    assert len(tags(html, "input", type="checkbox")) == 6
    choose(client, "save", ("analytics",))
    assert client.get("/granted/analytics").get_data(as_text=True) == "True"


@pytest.mark.parametrize("title,expected", [
    ("Nearby offers", "Allow nearby offers?"),
    ("Location", "Allow location?"),
    ("Google Maps nearby", "Allow Google Maps nearby?"),
    ("SMS offers", "Allow SMS offers?"),
])
def test_prompt_title_reads_as_a_sentence(make, title: str, expected: str) -> None:
    purposes = [Purpose("recommendations", "Personalised recommendations", "Picks."),
                Purpose("location", title, "Stores near you.", cookies=[Cookie("loc", lifetime="1 day")])]
    html = make(purposes=purposes).test_client().get("/nearby").get_data(as_text=True)
    assert f"<title>{expected}</title>" in html and f'id="consent-prompt-title">{expected}</h1>' in html


def _records(app: Flask) -> list[ConsentRecord]:
    at = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
    return [
        ConsentRecord(subject_id="s1", consent_id="c1", policy_version="2", banner_hash="h", method="login_merge",
                      granted={"necessary": 1, "third_party_sharing": 1}, denied={"analytics": 1},
                      id="rec-2", previous_id="rec-1", created_at=at, gpc=True),
        ConsentRecord(subject_id="s1", consent_id="c1", policy_version="1", banner_hash="h",
                      method="banner_reject_all", granted={"necessary": 1},
                      denied={"analytics": 1, "third_party_sharing": 1}, id="rec-1", created_at=at),
    ]


def _render(app: Flask, name: str, **context: Any) -> str:
    ext = app.extensions["consent"]
    with app.test_request_context("/consent/history", headers={"Accept": "text/html"}):
        return render_template(name, registry=ext.registry, loc=lambda text: localise(text, "en"),
                               t=strings("en"), **context)


def test_history_page_shows_titles_methods_in_words_and_receipt_links(make) -> None:  # C17
    app = make()
    html = _render(app, "consent/history.html", records=_records(app),
                   download_url="/consent/history?download=1")
    text = _text(html)
    for key in ("third_party_sharing", "login_merge", "banner_reject_all"):
        assert key not in text, key
    assert "Sharing with partners" in text and "Analytics" in text and "Strictly necessary" in text
    assert "2026-03-04 05:06 UTC" in text and 'datetime="2026-03-04T05:06:07Z"' in html
    assert "You rejected all in the banner" in text and "signed in" in text
    assert [a["href"] for a in tags(html, "a") if "/receipt/" in (a.get("href") or "")] == [
        "/consent/receipt/rec-2", "/consent/receipt/rec-1"]
    assert '<a href="/consent/history?download=1" download>' in html
    assert "Opt-out preference signal honoured" in text  # the GPC record says so
    assert '<body class="consent-body"' in html and "<h1>Your consent history</h1>" in html


def test_history_page_without_records(make) -> None:
    html = _render(make(), "consent/history.html", records=[], download_url=None)
    assert "You have not made a choice here yet." in _text(html) and "<ol" not in html


def test_receipt_page_is_readable(make) -> None:  # C17
    app = make(CONSENT_CONTROLLER={"piiController": "Harbour Goods Ltd", "contact": "privacy@example.com"})
    record = _records(app)[0]
    ext = app.extensions["consent"]
    data = receipt(record, ext.registry, controller=app.config["CONSENT_CONTROLLER"],
                   policy_url="/consent/declaration", jurisdiction="HK", locale="en")
    html = _render(app, "consent/receipt.html", receipt=data, record=record)
    text = _text(html)
    assert "<h1>Consent receipt</h1>" in html and "2026-03-04 05:06 UTC" in text
    assert "Sharing with partners : Allowed" in text and "Analytics : Refused" in text
    assert "third_party_sharing" not in text and "login_merge" not in text
    assert "Harbour Goods Ltd, privacy@example.com" in text and "rec-2" in text
    assert '<a href="/consent/receipt/rec-1">' in html  # the previous receipt
    assert "Affiliate Co" in text  # third parties named


def test_history_and_receipt_extend_the_shops_base_template(make) -> None:
    app = _with_shop_base(make(CONSENT_BASE_TEMPLATE="shop_base.html"))
    html = _render(app, "consent/history.html", records=_records(app), download_url=None)
    assert '<header id="shop-header">' in html and "<title>Your consent history · Shop</title>" in html
    record = _records(app)[1]
    data = receipt(record, app.extensions["consent"].registry, controller=None, policy_url="/p",
                   jurisdiction="HK", locale="en")
    html = _render(app, "consent/receipt.html", receipt=data, record=record)
    assert '<header id="shop-header">' in html and "<title>Consent receipt · Shop</title>" in html
