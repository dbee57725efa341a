"""The flows of the banner on the test shop, with JavaScript on and off (C32): reject all, customise two
purposes, accept all then reopen "Privacy choices" and withdraw. With JavaScript no flow reloads the page,
except a withdrawal of a purpose whose scripts already ran."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .conftest import NECESSARY_COOKIES, Shop

ALL = {"recommendations", "location", "voice_photo_search", "analytics", "advertising", "third_party_sharing",
       "social_embeds"}


def mark(page: Page, js: bool) -> None:
    """Mark the loaded document, so a later check can tell whether the page was reloaded."""
    if js:
        page.evaluate("window.sameDocument = true")


def assert_no_reload(page: Page, js: bool) -> None:
    if js:
        assert page.evaluate("window.sameDocument") is True


def cookie_names(page: Page) -> set[str]:
    return {c["name"] for c in page.context.cookies()}


def test_reject_all_leaves_only_necessary_cookies(shop: Shop, open_page, js: bool) -> None:  # C1, C6, C7, C32
    page = open_page(js=js)
    page.goto(shop.url + "/")
    mark(page, js)
    page.get_by_role("button", name="Reject all").click()
    expect(page.locator("#consent-banner")).to_have_count(0)
    expect(page.locator("#consent-reopen")).to_be_visible()
    assert_no_reload(page, js)
    assert shop.granted(page) == set()
    assert [r.method for r in shop.records] == ["banner_reject_all"]
    page.goto(shop.url + "/?d=1")
    page.get_by_role("link", name="Department 2", exact=True).click()
    assert cookie_names(page) <= NECESSARY_COOKIES
    expect(page.locator('script[data-consent="analytics"][type="text/plain"]')).to_have_count(3)


def test_customise_and_save_two_purposes(shop: Shop, open_page, js: bool) -> None:  # C4, C9, C32
    page = open_page(js=js)
    page.goto(shop.url + "/")
    mark(page, js)
    page.locator("#consent-banner summary").click()
    boxes = page.locator("#consent-banner input[type=checkbox]:not([disabled])")
    expect(boxes).to_have_count(len(ALL))
    for i in range(len(ALL)):
        expect(boxes.nth(i)).not_to_be_checked()
    page.get_by_label("Personalised recommendations").check()
    page.get_by_label("Nearby goods and offers").check()
    page.get_by_role("button", name="Save choices").click()
    expect(page.locator("#consent-banner")).to_have_count(0)
    assert_no_reload(page, js)
    assert shop.granted(page) == {"recommendations", "location"}
    assert [r.method for r in shop.records] == ["banner_custom"]


def test_accept_all_then_reopen_privacy_choices_and_withdraw(shop: Shop, open_page, js: bool) -> None:  # C1, C11, C6
    page = open_page(js=js)
    page.goto(shop.url + "/")
    mark(page, js)
    page.get_by_role("button", name="Accept all").click()
    expect(page.locator("#consent-banner")).to_have_count(0)
    expect(page.locator("#consent-reopen")).to_be_visible()
    assert_no_reload(page, js)
    assert shop.granted(page) == ALL
    page.goto(shop.url + "/")
    assert "_shop_analytics" in cookie_names(page)
    mark(page, js)
    page.locator("#consent-reopen").click()
    if js:  # opens inline, on the same page
        expect(page.locator("#consent-banner.consent-panel")).to_be_visible()
        assert_no_reload(page, js)
    else:
        page.wait_for_url("**/consent/preferences*")
    analytics = page.get_by_label("Analytics", exact=True)
    expect(analytics).to_be_checked()  # the stored state
    expect(page.get_by_label("Advertising", exact=True)).to_be_checked()
    analytics.uncheck()
    save = page.get_by_role("button", name="Save choices")
    # Analytics scripts had run: with JS the page reloads, once; without it the form returns to the page.
    if js:
        loads: list[str] = []
        page.on("load", lambda p: loads.append(p.url))
        with page.expect_event("load"):
            save.click()
        page.evaluate("flaskConsent.state()")
        assert loads == [shop.url + "/"] and page.evaluate("window.sameDocument") is None
    else:
        save.click()
        page.wait_for_url(shop.url + "/")
    expect(page.locator("#consent-reopen")).to_be_visible()
    assert shop.granted(page) == ALL - {"analytics"}
    assert [r.method for r in shop.records] == ["banner_accept_all", "preferences"]
    # The server expired the HttpOnly analytics cookie (and the script's own) in the same response.
    assert not {"_shop_analytics", "_sa_js"} & cookie_names(page)
    expect(page.locator('script[data-consent="analytics"][type="text/plain"]')).to_have_count(3)
