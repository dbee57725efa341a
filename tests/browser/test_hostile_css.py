"""The banner on a shop's own page (issue 17, items 2 and 9): a hostile, Bootstrap-like stylesheet cannot shrink
its targets, steer by colour or break its contrast (C2, C3, C31); the shop's ``--consent-*`` values win wherever
its stylesheet is linked; ``CONSENT_COLOR_SCHEME`` overrides the browser's preference; and the "Privacy choices"
control inside the shop's ``<footer>`` passes axe."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from conftest import LiveServer
from flask import Flask, make_response, render_template_string
from playwright.sync_api import expect

from .conftest import Shop, build_test_shop

#: What a Bootstrap 5 shop with a few careless global rules of its own puts on every page.
HOSTILE_CSS = """
*,::before,::after{box-sizing:border-box}
html{font-size:62.5%}
body{margin:0;font-family:Georgia,serif;font-size:10px;line-height:3;color:#212529;background:#fff;
  text-align:center;letter-spacing:.2em;text-transform:uppercase}
section,aside,nav{padding:5rem 0;background:#000;color:#777;display:flex}
div{padding:3rem;color:#aaa}
form{display:flex;flex-direction:row-reverse}
h2{font-size:3rem;margin:2rem 0;color:#6f42c1}
p{margin:0 0 4rem;color:#999}
a{color:#ff0;text-decoration:none}
code{color:#d63384;font-size:.5em;background:#ff0}
button{all:unset}
[type=submit],button{-webkit-appearance:button;border-radius:0;font-size:7px;padding:0}
input[type=checkbox]{appearance:none;-webkit-appearance:none;width:8px;height:8px;border:0;margin:20px}
label{display:block;font-size:8px;color:#eee}
details,summary{display:block;font-size:30px}
dl,dd,dt{margin:4rem;color:#bbb}
fieldset{border:5px solid red;padding:3rem;min-width:min-content}
legend{float:left;width:100%;font-size:3rem}
:focus{outline:none}
footer a,footer nav a{color:#333;font-size:6px}
"""

#: The shop's theme, in its own <head>, linked before the banner's stylesheet.
THEME_CSS = ":root{--consent-bg:#123456;--consent-fg:#fff;--consent-link:#cfe3ff}"

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Hostile shop</title>
<link rel="stylesheet" href="/t/{{ sheet }}.css"></head>
<body><header><nav aria-label="Shop"><a href="/">Home</a></nav></header>
<main><h1>Hostile shop</h1>
{%- for i in range(40) %}<p><a href="/?d={{ i }}">Department {{ i }}</a></p>{% endfor %}</main>
<footer><p>Harbour Goods</p>{% if where == "footer" %}{{ consent_banner() }}{% endif %}</footer>
{#- "late": the shop's stylesheet linked once more after the banner and its own stylesheet #}
{%- if where == "late" %}{{ consent_banner() }}<link rel="stylesheet" href="/t/{{ sheet }}.css">{% endif %}
</body></html>"""

CONTRAST = """(root) => {
    const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
        const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (e) => {
        for (; e; e = e.parentElement) {
            const c = rgb(getComputedStyle(e).backgroundColor);
            if (c.length === 3 || c[3] > 0) return c;
        }
        return [255, 255, 255];
    };
    const worst = [];
    for (const e of [root, ...root.querySelectorAll("*")]) {
        const text = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
        if (!text || !e.getClientRects().length) continue;
        const a = lum(rgb(getComputedStyle(e).color)), b = lum(background(e));
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        worst.push([Math.round(ratio * 100) / 100, e.tagName + "." + e.className + " " + e.textContent.slice(0, 30)]);
    }
    return worst.sort((x, y) => x[0] - y[0]);
}"""

STYLE = ("e => { const s = getComputedStyle(e); return [s.color, s.backgroundColor, s.fontSize, s.fontWeight, "
         "s.fontFamily, s.borderTopWidth, s.borderTopColor, s.borderRadius, s.padding, s.textTransform]; }")


def serve(live_server: Callable[[Flask], LiveServer], tmp_path: Any, **config: Any) -> Shop:
    """The browser tests' shop with a hostile page ``/hostile`` (``?sheet=theme`` for the themed one;
    ``?where=footer``: the banner rendered in the page's footer; ``?where=late``: rendered before the end of the
    body and followed by the shop's stylesheet once more)."""
    app = build_test_shop(f"sqlite:///{tmp_path / 'consent.db'}", str(tmp_path / "instance"))
    app.config.update(config)

    @app.get("/hostile")
    def hostile() -> str:
        from flask import request

        return render_template_string(PAGE, sheet=request.args.get("sheet", "hostile"),
                                      where=request.args.get("where", "auto"))

    @app.get("/t/<sheet>.css")
    def sheet(sheet: str) -> Any:
        response = make_response({"hostile": HOSTILE_CSS, "theme": THEME_CSS}[sheet])
        response.mimetype = "text/css"
        return response

    return Shop(app, live_server(app).url)


@pytest.fixture
def hostile(live_server: Callable[[Flask], LiveServer], tmp_path: Any) -> Shop:
    return serve(live_server, tmp_path)


def test_hostile_stylesheet_keeps_targets_sizes_and_contrast(hostile: Shop, open_page, js: bool) -> None:
    # C2, C3, C31
    page = open_page(js=js, width=320, height=640)
    page.goto(hostile.url + "/hostile?where=late")
    banner = page.locator("#consent-banner")
    expect(banner).to_be_visible()
    accept = page.get_by_role("button", name="Accept all")
    reject = page.get_by_role("button", name="Reject all")
    a, r = accept.bounding_box(), reject.bounding_box()
    assert a and r and (a["width"], a["height"]) == (r["width"], r["height"])
    assert a["width"] >= 24 and a["height"] >= 24
    assert accept.evaluate(STYLE) == reject.evaluate(STYLE)
    assert float(accept.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 14
    assert accept.evaluate("e => getComputedStyle(e).textTransform") == "none"
    page.locator("#consent-banner summary").click()
    boxes = page.locator("#consent-banner input[type=checkbox]")
    assert boxes.count() >= 6
    for i in range(boxes.count()):
        box = boxes.nth(i).bounding_box()
        assert box and box["width"] >= 24 and box["height"] >= 24, boxes.nth(i).get_attribute("id")
        assert boxes.nth(i).evaluate("e => getComputedStyle(e).appearance") == "auto"
    for name in ("Save choices", "Customise"):
        box = page.locator("#consent-banner .consent-btn", has_text=name).bounding_box()
        assert box and box["width"] >= 24 and box["height"] >= 24, name
    assert banner.locator("code").first.evaluate("e => getComputedStyle(e).color") != "rgb(214, 51, 132)"
    contrast = banner.evaluate(CONTRAST)
    assert contrast and contrast[0][0] >= 4.5, contrast[:5]
    # Reflow at 320 px: no horizontal scrolling, nothing wider than the banner.
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert banner.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert banner.evaluate("e => getComputedStyle(e).position") == "fixed"


def test_hostile_stylesheet_keeps_the_privacy_choices_control(hostile: Shop, open_page, js: bool) -> None:
    # C11, C31
    page = open_page(js=js)
    page.goto(hostile.url + "/hostile")
    page.get_by_role("button", name="Reject all").click()
    expect(page.locator("#consent-reopen")).to_be_attached()  # the choice is stored before we navigate on
    page.goto(hostile.url + "/hostile?where=footer")
    reopen = page.locator("#consent-reopen")
    expect(reopen).to_be_visible()
    box = reopen.bounding_box()
    assert box and box["width"] >= 24 and box["height"] >= 24
    assert reopen.evaluate("e => getComputedStyle(e).position") == "fixed"
    contrast = reopen.evaluate(CONTRAST)
    assert contrast[0][0] >= 4.5, contrast


def test_shop_theme_in_its_head_wins_over_the_defaults(live_server, tmp_path: Any, open_page) -> None:
    shop = serve(live_server, tmp_path)
    for dark in (False, True):
        page = open_page(dark=dark)
        page.goto(shop.url + "/hostile?sheet=theme")
        banner = page.locator("#consent-banner")
        expect(banner).to_be_visible()
        assert banner.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(18, 52, 86)", dark
        assert banner.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)", dark
        # The shop's :root rule wins even though consent.css is linked after it.
        assert page.evaluate("[...document.styleSheets].map(s => s.href).findIndex(h => h.endsWith('consent.css'))"
                             " > [...document.styleSheets].map(s => s.href).findIndex(h => h.endsWith('theme.css'))")


@pytest.mark.parametrize("scheme,dark,expected", [
    ("light", True, "rgb(255, 255, 255)"),
    ("dark", False, "rgb(23, 25, 30)"),
    ("auto", True, "rgb(23, 25, 30)"),
    ("auto", False, "rgb(255, 255, 255)"),
])
def test_color_scheme_setting_overrides_the_browser(live_server, tmp_path: Any, open_page, scheme: str,
                                                    dark: bool, expected: str) -> None:  # C3
    shop = serve(live_server, tmp_path, CONSENT_COLOR_SCHEME=scheme)
    page = open_page(dark=dark)
    page.goto(shop.url + "/")
    banner = page.locator("#consent-banner")
    expect(banner).to_have_attribute("data-color-scheme", scheme)
    assert banner.evaluate("e => getComputedStyle(e).backgroundColor") == expected
    assert banner.evaluate(CONTRAST)[0][0] >= 4.5
    page.goto(shop.url + "/consent/preferences")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == expected


def test_privacy_choices_control_in_the_shops_footer_passes_axe(hostile: Shop, open_page, js: bool) -> None:
    # C28: not a complementary landmark inside <footer> (axe landmark-complementary-is-top-level)
    page = open_page(no_banner_script=not js)
    page.goto(hostile.url + "/hostile?sheet=theme")
    page.get_by_role("button", name="Reject all").click()
    expect(page.locator("#consent-reopen")).to_be_attached()  # the choice is stored before we navigate on
    page.goto(hostile.url + "/hostile?sheet=theme&where=footer")
    expect(page.locator("footer #consent-reopen")).to_be_visible()
    assert page.locator("aside").count() == 0
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
