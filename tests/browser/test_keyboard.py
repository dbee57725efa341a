"""Keyboard first (issue 17, item 5): on a page with 40 links before ``</body>``, "Accept all" is reached within
three Tab presses from load, with JavaScript on and off (C29, C32)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .conftest import Shop

ACCEPT_WITHIN = 3


def presses_to_accept_all(page: Page, limit: int = ACCEPT_WITHIN) -> int | None:
    """How many Tab presses from load put the focus on "Accept all" (None: not within ``limit``)."""
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Accept all":
            return n
    return None


def test_accept_all_within_three_tabs_with_javascript(shop: Shop, open_page) -> None:  # C29
    page = open_page(js=True)
    page.goto(shop.url + "/")
    assert page.locator("nav a").count() >= 40, "the test page has its 40 links before the end of the body"
    assert presses_to_accept_all(page) is not None, page.evaluate("document.activeElement.outerHTML")
    expect(page.get_by_role("button", name="Accept all")).to_be_focused()
    # Loading moved nothing into focus by itself (C29): the visitor's first Tab started from the top.
    page.reload()
    assert page.evaluate("document.activeElement === document.body")


def test_accept_all_within_three_tabs_without_javascript(shop: Shop, open_page) -> None:  # C29, C32
    page = open_page(js=False)
    page.goto(shop.url + "/")
    assert page.locator("nav a").count() >= 40
    assert presses_to_accept_all(page) is not None, page.evaluate("document.activeElement.outerHTML")


def test_choosing_by_keyboard_right_after_load(shop: Shop, open_page) -> None:  # C29, C7
    page = open_page(js=True)
    page.goto(shop.url + "/")
    assert presses_to_accept_all(page) is not None
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Reject all")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#consent-reopen")).to_be_focused()
    assert [r.method for r in shop.records] == ["banner_reject_all"]
