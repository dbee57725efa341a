"""The shop as a newcomer meets it: zero configuration, a silent import, logins printed by ``flask run``,
a language switch wired to the extension, and pages built for assistive technology."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import click
import pytest

from example_shop import create_app
from example_shop.extensions import db
from example_shop.models import Product, Store
from example_shop.seed import CATEGORIES, DEMO_ADMIN, DEMO_MEMBER, demo_logins

from .conftest import FAST_HASH, decide, login, login_admin, token

ROOT = Path(__file__).resolve().parents[2]


def test_import_prints_nothing():
    out = subprocess.run([sys.executable, "-c", "import example_shop"], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout == "" and out.stderr == ""


def test_zero_config_generates_and_keeps_a_secret_key(tmp_path, capsys):
    config = {"INSTANCE_PATH": str(tmp_path), "SHOP_PASSWORD_METHOD": FAST_HASH}
    first = create_app(dict(config))
    second = create_app(dict(config))
    assert len(first.secret_key) >= 32 and first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert (tmp_path / "shop.db").exists() and (tmp_path / "consent.db").exists()
    assert capsys.readouterr().out == ""


def test_flask_run_prints_the_demo_logins(tmp_path, capsys):
    with click.Context(click.Command("run"), info_name="run"):
        app = create_app({"INSTANCE_PATH": str(tmp_path), "SHOP_PASSWORD_METHOD": FAST_HASH})
    out = capsys.readouterr().out
    logins = demo_logins(app)
    assert f"{DEMO_MEMBER} / {logins[DEMO_MEMBER]}" in out and f"{DEMO_ADMIN} / {logins[DEMO_ADMIN]}" in out


def test_seeded_catalogue_and_hong_kong_stores(shop):
    with shop.app_context():
        products = db.session.scalars(db.select(Product)).all()
        stores = db.session.scalars(db.select(Store)).all()
        assert len(stores) >= 8 and all(22.1 < s.lat < 22.6 and 113.8 < s.lng < 114.5 and s.offers for s in stores)
    assert len(products) >= 40 and len({p.category for p in products}) == len(CATEGORIES) >= 5


def test_demo_member_and_admin_can_sign_in(shop, client):
    login(client, shop)
    assert "Chan Tai Man" in client.get("/account/").get_data(as_text=True)


def test_text_search_and_generated_pictures(client):  # C8
    html = client.get("/products?q=tea").get_data(as_text=True)
    assert "Jasmine green tea" in html and "Clay pot" not in html
    svg = client.get("/product/clay-pot.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


@pytest.mark.parametrize(("lang", "nav", "banner", "quantity"), [
    ("zh-HK", "私隱中心", "你的私隱選擇", "數量"),
    ("zh-CN", "隐私中心", "你的隐私选择", "数量"),
    ("en", "Privacy centre", "Your privacy choices", "Quantity"),
])
def test_language_switch_reaches_the_shop_and_the_banner(client, lang, nav, banner, quantity):
    r = client.post("/lang", data={"csrf_token": token(client), "lang": lang, "next": "/products"})
    assert r.status_code == 303 and r.headers["Location"] == "/products"
    html = client.get("/").get_data(as_text=True)
    assert f'<html lang="{lang}">' in html and nav in html
    assert banner in html  # the banner speaks the language picked with the shop's switch
    assert f'<label for="quantity">{quantity}</label>' in client.get("/product/clay-pot").get_data(as_text=True)


def test_language_switch_refuses_off_site_next(client):
    r = client.post("/lang", data={"csrf_token": token(client), "lang": "zh-HK", "next": "//evil.example/"})
    assert r.headers["Location"] == "/"


class PageAudit(HTMLParser):
    """Collects what automated accessibility checks look at first."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.open_labels = 0
        self.wrapped: set[str] = set()
        self.h1 = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.label_for.add(str(a["for"]))
        if tag in ("input", "select", "textarea") and self.open_labels and a.get("id"):
            self.wrapped.add(str(a["id"]))
        if tag == "h1":
            self.h1 += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels -= 1


PAGES = ["/", "/products", "/product/clay-pot", "/recommendations", "/cart", "/stores", "/nearby", "/search/voice",
         "/search/photo", "/privacy", "/privacy/policy", "/account/login", "/account/register", "/account/",
         "/admin/", "/nope"]


def test_pages_have_lang_landmarks_one_h1_and_labelled_controls(shop, client):
    decide(client, "accept_all")
    decide(client, "grant", "location", "voice_photo_search")
    login_admin(client, shop)
    client.post("/cart/clay-pot", data={"csrf_token": token(client), "quantity": "1", "add": "1"})
    for path in [*PAGES, "/checkout"]:
        r = client.get(path)
        assert r.status_code in (200, 404), path
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp, path
        nonce = csp.split("'nonce-")[1].split("'")[0]
        audit = PageAudit()
        audit.feed(r.get_data(as_text=True))
        html_tag = next(a for t, a in audit.tags if t == "html")
        assert html_tag.get("lang") == "en", path
        names = [t for t, _ in audit.tags]
        for landmark in ("header", "nav", "main", "footer"):
            assert names.count(landmark) >= 1, (path, landmark)
        assert names.count("main") == 1 and audit.h1 == 1, path
        assert len(audit.ids) == len(set(audit.ids)), (path, sorted({i for i in audit.ids if audit.ids.count(i) > 1}))
        for tag, a in audit.tags:
            if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
                labelled = a.get("id") in audit.label_for or a.get("id") in audit.wrapped or a.get("aria-label")
                assert labelled, (path, tag, a)
            if tag == "img":
                assert "alt" in a, (path, a)
            if tag == "iframe":
                assert a.get("title"), (path, a)
            if tag == "script":  # strict CSP: scripts from the shop's own origin, or inline with the nonce
                assert str(a.get("src", "/")).startswith("/"), (path, a)
                assert a.get("src") or a.get("data-src") or a.get("nonce") == nonce, (path, a)
                assert a.get("nonce") in (None, nonce), (path, a)


def test_shop_colours_meet_contrast_minimum():
    from example_shop.images import contrast_ink

    def ratio(a: str, b: str) -> float:
        def lum(hex_: str) -> float:
            rgb = [int(hex_[i:i + 2], 16) / 255 for i in (1, 3, 5)]
            c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
            return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

        hi, lo = sorted((lum(a), lum(b)), reverse=True)
        return (hi + 0.05) / (lo + 0.05)

    pairs = [("#1b1b1b", "#ffffff"), ("#4d4d4d", "#ffffff"), ("#0b57d0", "#ffffff"), ("#ffffff", "#0f3d3e"),
             ("#ffffff", "#0b5d3b"), ("#ffffff", "#a4161a"), ("#0b5d3b", "#ffffff"), ("#1b1b1b", "#f4f1ea"),
             ("#0b57d0", "#f4f1ea"), ("#1b1b1b", "#fde2e1"), ("#1b1b1b", "#fff4d6"), ("#0b57d0", "#fde2e1")]
    css = (ROOT / "example_shop/static/shop/shop.css").read_text()
    for fg, bg in pairs:
        assert fg in css and bg in css
        assert ratio(fg, bg) >= 4.5, (fg, bg)
    for colour in ("#ffeb3b", "#1a237e", "#f5f5f5", "#000000"):
        assert ratio(contrast_ink(tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))), colour) >= 4.5


def test_google_consent_mode_default_follows_the_shop_purposes(client):
    def gcm() -> dict[str, str]:
        html = client.get("/").get_data(as_text=True)
        head = html.split("</head>")[0]
        return json.loads(re.search(r"gtag\('consent','default',(\{.*?\})\);", head).group(1))

    before = gcm()
    assert before["analytics_storage"] == "denied" and before["security_storage"] == "granted"
    decide(client, "save", "analytics", "recommendations")
    after = gcm()
    assert after["analytics_storage"] == "granted" and after["personalization_storage"] == "granted"
    assert after["ad_storage"] == after["ad_user_data"] == after["ad_personalization"] == "denied"


def test_consent_dashboard_is_mounted_behind_the_admin_login(shop, client):  # C27, C14
    anonymous = client.get("/admin/consent/")
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
    login(client, shop)
    assert client.get("/admin/consent/").status_code == 403
    client.get("/account/logout")
    login_admin(client, shop)
    page = client.get("/admin/consent/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and "overdue" in html.lower()
