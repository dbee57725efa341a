"""The example shop in Chromium on a 390×844 phone, with JavaScript on and off: every page fits the screen
without sideways scrolling, the header folds into a menu that opens without JavaScript, buttons that need
JavaScript stay hidden without it, and the live-broadcast player allowed in place comes up at its full size."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from example_shop.seed import DEMO_ADMIN, demo_logins

from .conftest import Shop

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
HEADER_MAX = 120
PAGES = ["/", "/products", "/products?category=tea", "/product/tea-pot", "/recommendations", "/stores", "/nearby",
         "/search/voice", "/search/photo", "/cart", "/checkout", "/privacy", "/privacy/policy", "/account/",
         "/admin/", "/account/register", "/no-such-page"]


def csrf(page: Page, url: str) -> str:
    """A CSRF token of the page's session (the shop hands them out at ``/csrf-token``)."""
    return str(page.request.get(url + "/csrf-token").json()["csrf_token"])


def allow_everything(harbour: Shop, page: Page) -> None:
    """Every purpose granted, as a plain form post (the same with JavaScript on or off)."""
    page.goto(harbour.url + "/")
    optional = [k for k, p in harbour.app.extensions["consent"].registry.items() if not p.required]
    r = page.request.post(harbour.url + "/consent", form={"csrf_token": csrf(page, harbour.url), "action": "save",
                                                          "scope": "all", "next": "/", "purposes": optional[0]},
                          max_redirects=0)
    assert r.status == 303
    for key in optional[1:]:
        page.request.post(harbour.url + "/consent", form={"csrf_token": csrf(page, harbour.url), "action": "grant",
                                                          "purposes": key, "next": "/"}, max_redirects=0)
    assert harbour.granted(page) == set(optional)


def sign_in_as_admin_with_an_order(harbour: Shop, page: Page) -> str:
    """The admin signed in, with an item in the cart and one order placed; returns the order's path."""
    page.goto(harbour.url + "/account/login")
    page.fill("#email", DEMO_ADMIN)
    page.fill("#password", demo_logins(harbour.app)[DEMO_ADMIN])
    page.locator("main form button[type=submit]").click()
    page.goto(harbour.url + "/product/egg-rolls-tin")
    page.locator("main form.row button[type=submit]").click()
    page.goto(harbour.url + "/checkout")
    page.fill("#consignee", "Wong Siu Mei")
    page.fill("#address", "Flat 5B, 1 Test Road, Sha Tin")
    page.fill("#phone", "+852 6000 1234")
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(re.compile(r".*/orders/\d+$"))
    order = page.url.removeprefix(harbour.url)
    page.goto(harbour.url + "/product/tea-pot")
    page.locator("main form.row button[type=submit]").click()
    return order


def fits(page: Page) -> dict[str, float]:
    return page.evaluate("""() => ({
        scroll: document.documentElement.scrollWidth,
        header: document.querySelector('.site-header').getBoundingClientRect().height})""")


@pytest.mark.parametrize("lang", ["en", "zh-HK"])
def test_every_shop_page_fits_a_phone_with_a_short_header(harbour: Shop, open_page, lang: str) -> None:
    page = open_page(**PHONE)
    allow_everything(harbour, page)
    order = sign_in_as_admin_with_an_order(harbour, page)
    page.goto(harbour.url + "/")
    page.locator(".menu > summary").click()
    page.locator(f'.lang-switch button[value="{lang}"]').click()
    problems = {}
    for path in [*PAGES, order]:
        page.goto(harbour.url + path)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        size = fits(page)
        if size["scroll"] > PHONE["width"] or size["header"] >= HEADER_MAX:
            problems[path] = size
    assert problems == {}


def test_phone_menu_opens_and_closes_without_javascript(harbour: Shop, open_page) -> None:
    page = open_page(js=False, **PHONE)
    page.goto(harbour.url + "/privacy")
    stores = page.locator(".site-header nav").get_by_role("link", name="Stores")
    expect(stores).to_be_hidden()
    assert fits(page)["header"] < HEADER_MAX
    page.locator(".menu > summary").click()
    expect(stores).to_be_visible()
    expect(page.locator("#site-q")).to_be_visible()
    assert fits(page)["scroll"] <= PHONE["width"]
    stores.click()
    expect(page.locator("h1")).to_have_text("Our stores and offers")


def test_wide_screen_shows_the_menu_without_a_summary(harbour: Shop, open_page) -> None:
    page = open_page()
    page.goto(harbour.url + "/")
    expect(page.locator(".menu > summary")).to_be_hidden()
    expect(page.locator(".site-header nav").get_by_role("link", name="Privacy centre")).to_be_visible()
    expect(page.locator("#site-q")).to_be_visible()


def test_buttons_that_need_javascript_stay_hidden_without_it(harbour: Shop, open_page) -> None:
    page = open_page(js=False, **PHONE)
    allow_everything(harbour, page)
    page.goto(harbour.url + "/nearby")
    expect(page.locator("h1")).to_have_text("Nearby goods and offers")
    expect(page.locator("#locate")).to_be_hidden()
    page.goto(harbour.url + "/search/voice")
    expect(page.locator("#voice-q")).to_be_visible()
    expect(page.locator("#voice-start")).to_be_hidden()


def test_live_player_allowed_in_place_comes_up_full_size(harbour: Shop, open_page) -> None:
    page = open_page()
    page.goto(harbour.url + "/")
    page.get_by_role("button", name="Reject all").click()
    expect(page.locator("#consent-reopen")).to_be_visible()
    page.locator('.consent-placeholder[data-consent="social_embeds"] button').click()
    player = page.locator('iframe[data-consent="social_embeds"]')
    expect(player).to_be_visible()
    assert harbour.granted(page) == {"social_embeds"}
    in_place = player.bounding_box()
    page.reload()
    expect(player).to_be_visible()
    reloaded = player.bounding_box()
    assert in_place and reloaded
    assert (round(in_place["width"]), round(in_place["height"])) == (560, 315)
    assert (round(reloaded["width"]), round(reloaded["height"])) == (560, 315)


def test_live_player_scales_down_on_a_phone(harbour: Shop, open_page) -> None:
    page = open_page(**PHONE)
    allow_everything(harbour, page)
    page.goto(harbour.url + "/")
    box = page.locator('iframe[data-consent="social_embeds"]').bounding_box()
    assert box and box["width"] <= PHONE["width"] - 2 * 16 + 1
    assert abs(box["width"] / box["height"] - 560 / 315) < 0.02
