"""The shop speaks Chinese all the way down: in 繁體中文 and 简体中文 no page of the shop shows an
untranslated English sentence, because its texts come from Flask-Babel catalogs (``example_shop/translations``).

The crawl visits every GET page of the shop that needs no URL parameter, plus a product, an order of the demo
member, checkout and the privacy centre, as the demo member and as the admin with every purpose allowed (so
the gated pages show the shop's own content). The extension's own banner, reopen control, placeholder and
pages (under ``/consent/`` and the consent dashboard) are left to the extension's catalogs.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from example_shop.purposes import PURPOSES

from .conftest import decide, login, login_admin, token

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "example_shop" / "translations"
CHINESE = ("zh-HK", "zh-CN")

#: Elements whose text is not the shop's prose: code, user-entered text (``translate="no"``) and the
#: extension's own controls, which its catalogs translate.
SKIPPED_TAGS = {"script", "style", "template", "code", "noscript", "svg"}
EXTENSION_IDS = {"consent-banner", "consent-reopen"}
EXTENSION_CLASSES = {"consent-placeholder", "consent-dock", "consent-banner"}
#: Names, not sentences: brands, vendors and the standard names of signals and laws shown beside their
#: translation.
ALLOWED = ("Harbour Goods", "Harbour Live", "Harbour Analytics SDK", "Kowloon Ads", "Lantau Partner Offers",
           "Global Privacy Control", "Google Consent Mode")
WORD = re.compile(r"^[A-Za-z][A-Za-z'’-]*[A-Za-z]$")
EMAIL = re.compile(r"\S+@\S+")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleText(HTMLParser):
    """Collects the text a visitor reads, minus the skipped elements (and anything inside them)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: is it (or an ancestor) skipped?
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        skipped = bool(self.stack and self.stack[-1]) or tag in SKIPPED_TAGS or a.get("translate") == "no" \
            or a.get("id") in EXTENSION_IDS or bool(EXTENSION_CLASSES & set((a.get("class") or "").split())) \
            or (a.get("lang") or "zh").split("-")[0] != "zh" or a.get("hidden") is not None \
            or a.get("aria-hidden") == "true"
        if tag in VOID:
            if not skipped and tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
                self.chunks.append(a["value"] or "")
            return
        self.stack.append(skipped)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.chunks.append(data)


def english_runs(html: str) -> list[str]:
    """Runs of three or more English words (two letters or more) in the visible text of ``html``."""
    parser = VisibleText()
    parser.feed(html)
    runs: list[str] = []
    for chunk in parser.chunks:
        text = EMAIL.sub(" ", chunk)
        for name in ALLOWED:
            text = text.replace(name, " ")
        run: list[str] = []
        for token_ in text.split():
            bare = token_.strip(".,;:!?()[]“”\"'…·")
            if WORD.match(bare):
                run.append(bare)
                if token_[-1] not in ".,;:!?)”\"…":  # punctuation ends a clause, and the run with it
                    continue
            if len(run) >= 3:
                runs.append(" ".join(run))
            run = []
        if len(run) >= 3:
            runs.append(" ".join(run))
    return runs


def test_english_runs_finds_sentences_and_spares_names():
    assert english_runs("<p>Nothing from this order is shared.</p>") == ["Nothing from this order is shared"]
    assert english_runs('<p>由 Harbour Goods 提供 · GPC · SDK · privacy@harbour-goods.test</p>') == []
    assert english_runs('<p><span translate="no">Flat 5B, 1 Test Road Sha Tin</span> 地址</p>') == []
    assert english_runs('<div id="consent-banner"><p>We use cookies for this</p></div><p>好</p>') == []


def set_language(client: FlaskClient, lang: str) -> None:
    r = client.post("/lang", data={"csrf_token": token(client), "lang": lang, "next": "/"})
    assert r.status_code == 303


def crawl_paths(shop: Flask, client: FlaskClient) -> list[str]:
    """Every GET page of the shop without URL parameters, plus a product, checkout and an order."""
    paths = set()
    for rule in shop.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.arguments or rule.endpoint == "static":
            continue
        path = str(rule.rule)
        if path.startswith(("/consent", "/admin/consent", "/.well-known", "/tp/")) or "download" in path:
            continue
        paths.add(path)
    client.post("/cart/egg-rolls-tin", data={"csrf_token": token(client), "quantity": "1", "add": "1"})
    r = client.post("/checkout", data={"csrf_token": token(client, "/checkout"), "consignee": "Wong Siu Mei",
                                       "address": "Flat 5B, 1 Test Road, Sha Tin", "phone": "+852 6000 1234"})
    assert r.status_code == 303, r.get_data(as_text=True)
    paths.add(r.headers["Location"])
    client.post("/cart/jasmine-green-tea", data={"csrf_token": token(client), "quantity": "1", "add": "1"})
    paths |= {"/product/egg-rolls-tin", "/checkout", "/cart", "/privacy", "/stores?district=Sha+Tin",
              "/products?category=tea", "/search/photo", "/no-such-page"}
    return sorted(paths)


def untranslated(client: FlaskClient, paths: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        r = client.get(path)
        if r.status_code in (301, 302, 303, 308) or r.mimetype != "text/html":
            continue
        runs = english_runs(r.get_data(as_text=True))
        if runs:
            found[path] = runs
    return found


@pytest.mark.parametrize("lang", CHINESE)
def test_no_english_sentence_on_any_shop_page_for_a_member(shop: Flask, client: FlaskClient, lang: str) -> None:
    decide(client, "save", *[p.key for p in PURPOSES if not p.required])
    login(client, shop)
    paths = crawl_paths(shop, client)
    set_language(client, lang)
    assert untranslated(client, paths) == {}


@pytest.mark.parametrize("lang", CHINESE)
def test_no_english_sentence_for_a_new_visitor_or_the_admin(shop: Flask, client: FlaskClient, lang: str) -> None:
    set_language(client, lang)
    visitor_pages = ["/", "/products", "/product/tea-pot", "/stores", "/cart", "/privacy", "/privacy/policy",
                     "/recommendations", "/account/login", "/account/register"]
    assert untranslated(client, visitor_pages) == {}
    decide(client, "reject_all", scope="due")
    assert untranslated(client, visitor_pages) == {}
    login_admin(client, shop)
    assert untranslated(client, ["/admin/", "/privacy"]) == {}


def test_catalogs_are_compiled_and_committed() -> None:
    """The demo and CI need no compile step: each ``.po`` has its ``.mo``, no older than itself."""
    catalogs = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
    assert {p.parts[-3] for p in catalogs} >= {"zh_Hant_HK", "zh_Hans_CN"}
    for po in catalogs:
        mo = po.with_suffix(".mo")
        assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime - 1, po


def test_english_stays_the_source_language(shop: Flask, client: FlaskClient) -> None:
    html = client.get("/privacy/policy").get_data(as_text=True)
    assert "What we need to run the shop" in html
    set_language(client, "zh-HK")
    html = client.get("/privacy/policy").get_data(as_text=True)
    assert "What we need to run the shop" not in html and 'lang="zh-HK"' in html


# Checkout: plurals come from the catalogs (ngettext), and a detour to the privacy choices loses nothing.


def add_one(client: FlaskClient, slug: str = "egg-rolls-tin") -> None:
    r = client.post(f"/cart/{slug}", data={"csrf_token": token(client), "quantity": "1", "add": "1"})
    assert r.status_code == 303


def test_checkout_counts_items_in_singular_and_plural(shop: Flask, client: FlaskClient) -> None:
    login(client, shop)
    add_one(client)
    assert "1 item, total HK$128.00." in client.get("/checkout").get_data(as_text=True)
    add_one(client, "tea-pot")
    assert "2 items, total HK$326.00." in client.get("/checkout").get_data(as_text=True)
    set_language(client, "zh-HK")
    assert "2 件貨品，總額 HK$326.00。" in client.get("/checkout").get_data(as_text=True)


def test_detour_to_privacy_choices_keeps_the_typed_delivery_details(shop: Flask, client: FlaskClient) -> None:
    login(client, shop)
    add_one(client)
    typed = {"consignee": "Wong Siu Mei", "address": "Flat 5B, 1 Test Road, Sha Tin", "phone": "+852 6000 1234"}
    r = client.post("/checkout", data={"csrf_token": token(client, "/checkout"), "detour": "privacy-choices",
                                       **typed})
    assert r.status_code == 303 and r.headers["Location"] == "/consent/preferences?next=/checkout"
    decide(client, "grant", "third_party_sharing")
    html = client.get("/checkout").get_data(as_text=True)
    assert "Share this order" in html
    for value in typed.values():
        assert value in html
    r = client.post("/checkout", data={"csrf_token": token(client, "/checkout"), "share_with_partner": "y", **typed})
    order = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-shared="yes"' in order
    for field, value in typed.items():
        assert f'data-field="{field}">{value}</dd>' in order
    add_one(client)
    assert "Wong Siu Mei" not in client.get("/checkout").get_data(as_text=True)  # the draft went with the order


def test_kept_delivery_details_leave_with_the_member(shop: Flask, client: FlaskClient) -> None:
    login(client, shop)
    add_one(client)
    client.post("/checkout", data={"csrf_token": token(client, "/checkout"), "detour": "privacy-choices",
                                   "consignee": "Wong Siu Mei", "address": "Flat 5B, 1 Test Road", "phone": ""})
    client.post("/account/logout", data={"csrf_token": token(client)})
    with client.session_transaction() as session:
        assert "checkout_draft" not in session


def test_detour_needs_the_csrf_token(shop: Flask, client: FlaskClient) -> None:
    login(client, shop)
    add_one(client)
    r = client.post("/checkout", data={"detour": "privacy-choices", "consignee": "X", "address": "Y", "phone": "1"})
    assert r.status_code == 400
    with client.session_transaction() as session:
        assert "checkout_draft" not in session


@pytest.mark.parametrize("lang", CHINESE)
def test_messages_after_a_form_and_vendor_names_in_the_banner_are_chinese(
    shop: Flask, client: FlaskClient, lang: str
) -> None:
    """What the crawl cannot reach: messages shown after a post (a data request, a wrong password) and the
    partner names the extension prints from the shop's purposes (its banner and declaration)."""
    set_language(client, lang)
    banner = client.get("/").get_data(as_text=True)
    assert "stand-in ad network" not in banner and "speech recognition service" not in banner
    assert "Kowloon Ads（" in banner  # the name stays, its description is translated
    assert "stand-in" not in client.get("/consent/declaration").get_data(as_text=True)
    wrong = client.post("/account/login", data={"csrf_token": token(client, "/account/login"),
                                                "email": "nobody@example.test", "password": "wrong"})
    assert "E-mail or password is wrong" not in wrong.get_data(as_text=True)
    login(client, shop)
    client.post("/privacy/requests", data={"csrf_token": token(client, "/privacy"), "kind": "access",
                                           "details": "copy"})
    page = client.get("/privacy").get_data(as_text=True)
    assert "Request received" not in page and ("已收到你的要求" in page or "已收到你的请求" in page)
