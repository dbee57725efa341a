"""The banner on the example shop (Harbour Goods) in Chromium, JavaScript on and off: accept all, reject
all, customise two purposes, reopen "Privacy choices" and withdraw, and axe on its banner, preferences and
prompt pages. The shop runs under its own strict CSP."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .conftest import Shop

OPTIONAL = {"recommendations", "location", "voice_photo_search", "analytics", "advertising", "third_party_sharing",
            "social_embeds"}


def accepted_by_accept_all(harbour: Shop) -> set[str]:
    """What "Accept all" grants: every optional purpose except the separate, just-in-time ones (C25)."""
    return OPTIONAL - harbour.app.extensions["consent"].registry.separate_keys


def necessary_only(harbour: Shop, page: Page) -> set[str]:
    """Cookies in the browser that the shop does not declare as strictly necessary."""
    registry = harbour.app.extensions["consent"].registry
    necessary = [c for p in registry.required for c in p.cookies]
    return {c["name"] for c in page.context.cookies() if not any(d.matches(c["name"]) for d in necessary)}


def test_accept_all_on_the_shop(harbour: Shop, open_page, js: bool) -> None:  # C1, C32
    page = open_page(js=js)
    page.goto(harbour.url + "/")
    page.get_by_role("button", name="Accept all").click()
    expect(page.locator("#consent-banner")).to_have_count(0)
    expect(page.locator("#consent-reopen")).to_be_visible()
    assert harbour.granted(page) == accepted_by_accept_all(harbour)
    if js:  # the analytics SDK ran at once, without a reload, and its beacon got its cookie
        page.wait_for_function("() => window.harbourAnalytics && harbourAnalytics.beacons === 1")
        assert "_shop_analytics" in {c["name"] for c in page.context.cookies()}


def test_reject_all_on_the_shop_leaves_only_necessary_cookies(harbour: Shop, open_page, js: bool) -> None:  # C6
    page = open_page(js=js)
    page.goto(harbour.url + "/")
    page.get_by_role("button", name="Reject all").click()
    expect(page.locator("#consent-reopen")).to_be_visible()
    assert harbour.granted(page) == set()
    page.goto(harbour.url + "/products")
    page.goto(harbour.url + "/recommendations")
    assert necessary_only(harbour, page) == set()
    assert page.evaluate("window.harbourAnalytics === undefined")


def test_customise_two_purposes_on_the_shop(harbour: Shop, open_page, js: bool) -> None:  # C9
    page = open_page(js=js)
    page.goto(harbour.url + "/")
    page.locator("#consent-banner summary").click()
    page.get_by_label("Personalised recommendations").check()
    page.get_by_label("Live broadcasts and social embeds").check()
    page.get_by_role("button", name="Save choices").click()
    expect(page.locator("#consent-reopen")).to_be_visible()
    assert harbour.granted(page) == {"recommendations", "social_embeds"}
    if js:  # the live player replaced its placeholder in place
        expect(page.locator('iframe[data-consent="social_embeds"]')).to_have_count(1)


def test_reopen_and_withdraw_on_the_shop(harbour: Shop, open_page, js: bool) -> None:  # C11
    page = open_page(js=js)
    page.goto(harbour.url + "/")
    page.get_by_role("button", name="Accept all").click()
    expect(page.locator("#consent-reopen")).to_be_visible()
    page.goto(harbour.url + "/products")
    page.locator("#consent-reopen").click()
    analytics = page.get_by_label("Site analytics")
    expect(analytics).to_be_checked()
    analytics.uncheck()
    save = page.get_by_role("button", name="Save choices")
    if js:  # the SDK had run: the page reloads
        with page.expect_event("load"):
            save.click()
    else:
        save.click()
        page.wait_for_url(harbour.url + "/products")
    expect(page.locator("#consent-reopen")).to_be_visible()
    assert harbour.granted(page) == accepted_by_accept_all(harbour) - {"analytics"}
    assert "_shop_analytics" not in {c["name"] for c in page.context.cookies()}
    assert page.evaluate("window.harbourAnalytics === undefined")


def test_axe_on_the_shop_banner_preferences_and_prompt(harbour: Shop, open_page, js: bool) -> None:  # C28
    axe = Axe()
    page = open_page(no_banner_script=not js)
    for path, ready in (("/", "#consent-banner"), ("/consent/preferences", "form"), ("/nearby", "form")):
        page.goto(harbour.url + path)
        expect(page.locator(ready).first).to_be_visible()
        if path == "/":
            page.locator("#consent-banner summary").click()
        results = axe.run(page)
        assert results.violations_count == 0, f"{path}:\n{results.generate_report()}"
