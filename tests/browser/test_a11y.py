"""Accessibility of the banner, the inline choices, the preferences page and the prompt page (C28–C31),
with JavaScript on and off, in light and dark colour schemes."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .conftest import Shop

axe = Axe()

IN_BANNER = "document.activeElement.closest('#consent-banner') !== null"


def assert_axe_clean(page: Page, what: str) -> None:
    results = axe.run(page)
    assert results.violations_count == 0, f"{what}:\n{results.generate_report()}"


@pytest.mark.parametrize("js,dark", [(True, False), (False, False), (True, True)], ids=["js", "nojs", "js-dark"])
def test_axe_reports_no_violations(shop: Shop, open_page, js: bool, dark: bool) -> None:  # C28, C3, C30
    page = open_page(dark=dark, no_banner_script=not js)  # axe itself needs JavaScript
    page.goto(shop.url + "/")
    expect(page.get_by_role("region", name="Your privacy choices")).to_be_visible()
    page.locator("#consent-banner summary").click()  # both layers on view
    assert_axe_clean(page, "banner")
    page.goto(shop.url + "/consent/preferences")
    assert_axe_clean(page, "preferences page")
    page.goto(shop.url + "/nearby")
    expect(page.get_by_role("button", name="Allow")).to_be_visible()
    assert_axe_clean(page, "prompt page")
    page.goto(shop.url + "/")
    page.get_by_role("button", name="Reject all").click()
    expect(page.locator("#consent-reopen")).to_be_visible()
    assert_axe_clean(page, "page with the Privacy choices control")
    page.goto(shop.url + "/consent/state")  # a browser's view of the state, and of a receipt not found
    expect(page.get_by_role("heading", name="Your current choices")).to_be_visible()
    assert_axe_clean(page, "state page")
    page.goto(shop.url + "/consent/receipt/not-yours")
    assert_axe_clean(page, "receipt not found")
    page.goto(shop.url + "/")
    if js:
        page.locator("#consent-reopen").click()
        expect(page.get_by_role("region", name="Privacy choices")).to_be_visible()
        assert_axe_clean(page, "inline choices")


def focused_clear_of_banner(page: Page) -> bool:
    """True when the focused element lies entirely above the fixed banner (or the banner is absent)."""
    return bool(page.evaluate("""() => {
        const b = document.getElementById('consent-banner') || document.getElementById('consent-reopen');
        const e = document.activeElement;
        if (!b || b.contains(e) || e === document.body) return true;
        const r = e.getBoundingClientRect(), top = b.getBoundingClientRect().top;
        return r.bottom <= top + 0.5 || r.top >= b.getBoundingClientRect().bottom;
    }"""))


def assert_focus_visible(page: Page) -> None:
    style = page.evaluate("(() => { const s = getComputedStyle(document.activeElement); "
                          "return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()")
    assert style[0] != "none" and style[1] >= 2, style


def tab_into_banner(page: Page) -> None:
    """Tab from the top of the page to the banner; no focused page element may hide under it (C29)."""
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate(IN_BANNER):
            return
        assert focused_clear_of_banner(page), page.evaluate("document.activeElement.outerHTML")
    raise AssertionError("Tab never reached the banner")


def test_keyboard_only_run_through_the_banner(shop: Shop, open_page, js: bool) -> None:  # C29, C7, C30, C32
    page = open_page(js=js)
    page.goto(shop.url + "/")
    if js:
        page.evaluate("flaskConsent.state()")
    tab_into_banner(page)
    expect(page.get_by_role("link", name="Privacy policy")).to_be_focused()
    for name in ("Accept all", "Reject all"):
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name=name)).to_be_focused()
        assert_focus_visible(page)
    page.keyboard.press("Tab")
    summary = page.locator("#consent-banner summary")
    expect(summary).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("#consent-banner details")).to_have_attribute("open", "")
    recommendations = page.get_by_label("Personalised recommendations")
    page.keyboard.press("Tab")  # the necessary purpose's checkbox is disabled: skipped
    expect(recommendations).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("Space")
    expect(recommendations).to_be_checked()
    page.keyboard.press("Shift+Tab")
    expect(summary).to_be_focused()
    if js:  # Esc closes the second layer and returns focus to Customise; choices made so far stay
        page.keyboard.press("Tab")
        page.keyboard.press("Escape")
        expect(page.locator("#consent-banner details")).not_to_have_attribute("open", "")
        expect(summary).to_be_focused()
        page.keyboard.press("Space")
        expect(page.locator("#consent-banner details")).to_have_attribute("open", "")
        expect(recommendations).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    location = page.get_by_label("Nearby goods and offers")
    expect(location).to_be_focused()
    page.keyboard.press("Space")
    save = page.get_by_role("button", name="Save choices")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Save choices":
            break
    expect(save).to_be_focused()
    # No trap: Tab leaves the banner, Shift+Tab comes back.
    page.keyboard.press("Tab")
    assert not page.evaluate(IN_BANNER)
    page.keyboard.press("Shift+Tab")
    expect(save).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#consent-banner")).to_have_count(0)
    assert shop.granted(page) == {"recommendations", "location"}
    if js:  # focus lands on the control that reopens the choices
        expect(page.locator("#consent-reopen")).to_be_focused()


def test_keyboard_reopens_inline_choices_and_esc_returns_focus(shop: Shop, open_page) -> None:  # C11, C29
    page = open_page()
    page.goto(shop.url + "/")
    page.get_by_role("button", name="Reject all").click()
    reopen = page.locator("#consent-reopen")
    expect(reopen).to_be_focused()
    page.keyboard.press("Enter")
    panel = page.get_by_role("region", name="Privacy choices")
    expect(panel).to_be_visible()
    expect(page.get_by_label("Personalised recommendations")).to_be_focused()
    expect(page.get_by_label("Personalised recommendations")).not_to_be_checked()  # the stored refusal
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    expect(reopen).to_be_focused()
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    page.get_by_role("button", name="Close").click()
    expect(panel).to_have_count(0)
    expect(reopen).to_be_focused()
    assert [r.method for r in shop.records] == ["banner_reject_all"]  # closing records nothing (C7)


@pytest.mark.parametrize("width,height", [(320, 640), (1280, 800)])
def test_focused_elements_never_hide_under_the_banner(shop: Shop, open_page, js: bool, width: int,
                                                     height: int) -> None:  # C29
    page = open_page(js=js, width=width, height=height)
    page.goto(shop.url + "/")
    tab_into_banner(page)
    page.goto(shop.url + "/")
    page.get_by_role("button", name="Reject all").click()
    expect(page.locator("#consent-reopen")).to_be_visible()
    page.goto(shop.url + "/")  # start again from the top of the page
    for _ in range(45):  # every page link, with the Privacy choices control fixed at the bottom
        page.keyboard.press("Tab")
        assert focused_clear_of_banner(page), page.evaluate("document.activeElement.outerHTML")


def test_reflows_at_320_px_with_large_enough_targets(shop: Shop, open_page, js: bool) -> None:  # C31
    page = open_page(js=js, width=320, height=640)
    for path in ("/", "/consent/preferences", "/nearby"):
        page.goto(shop.url + path)
        if path == "/":
            page.locator("#consent-banner summary").click()
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), path
        assert page.evaluate("[...document.querySelectorAll('.consent-banner, .consent-main, .consent-purpose')]"
                             ".every(e => e.scrollWidth <= e.clientWidth)"), path
        controls = page.locator(".consent-btn, .consent-toggle, .consent-reopen")
        assert controls.count() >= 2
        for i in range(controls.count()):
            box = controls.nth(i).bounding_box()
            if box:  # hidden controls have no box
                assert box["width"] >= 24 and box["height"] >= 24, controls.nth(i).evaluate("e => e.outerHTML")


def test_accept_and_reject_look_the_same(shop: Shop, open_page) -> None:  # C2, C3
    page = open_page()
    page.goto(shop.url + "/")
    accept = page.get_by_role("button", name="Accept all")
    reject = page.get_by_role("button", name="Reject all")
    style = ("e => { const s = getComputedStyle(e); return [s.color, s.backgroundColor, s.fontSize, s.fontWeight, "
             "s.fontFamily, s.borderTopWidth, s.borderTopColor, s.borderRadius, s.padding]; }")
    for width, height in ((320, 640), (390, 844), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        a, r = accept.bounding_box(), reject.bounding_box()
        assert a and r and (a["width"], a["height"]) == (r["width"], r["height"]), width
        assert accept.evaluate(style) == reject.evaluate(style)


def test_banner_overlays_without_layout_shift(shop: Shop, open_page) -> None:  # C31 (no CLS)
    page = open_page()
    # Cumulative layout shift counts shifts without recent input (opening "Customise" is input).
    page.add_init_script("window.shifts = 0; new PerformanceObserver(l => l.getEntries().forEach(e => { "
                         "if (!e.hadRecentInput) shifts += e.value; })).observe({type: 'layout-shift', buffered: 1})")
    page.goto(shop.url + "/")
    page.evaluate("flaskConsent.state()")
    page.locator("#consent-banner summary").click()
    page.get_by_role("button", name="Accept all").click()
    expect(page.locator("#consent-reopen")).to_be_visible()
    assert page.evaluate("shifts") == 0
    assert page.evaluate("getComputedStyle(document.getElementById('consent-reopen')).position") == "fixed"


def test_banner_and_inline_choices_carry_the_right_lang(shop: Shop, open_page) -> None:  # C30
    page = open_page(locale="zh-HK")
    page.goto(shop.url + "/")
    banner = page.get_by_role("region", name="你的私隱選擇")
    expect(banner).to_have_attribute("lang", "zh-HK")
    page.get_by_role("button", name="全部拒絕").click()
    reopen = page.get_by_role("link", name="私隱選擇")
    expect(reopen).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".consent-panel")).to_have_attribute("lang", "zh-HK")
    expect(page.get_by_role("button", name="關閉")).to_be_visible()
