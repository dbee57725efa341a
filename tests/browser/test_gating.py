"""Gated scripts and iframes, Google Consent Mode, the script's API and events, and a strict CSP."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .conftest import Shop

GCM_TYPES = {"ad_storage", "ad_user_data", "ad_personalization", "analytics_storage", "functionality_storage",
             "personalization_storage", "security_storage"}


def gated_log(page: Page) -> list[str]:
    return list(page.evaluate("gatedLog"))


def test_gated_scripts_run_in_order_right_after_granting_without_reload(shop: Shop, open_page) -> None:  # C6
    page = open_page()
    page.goto(shop.url + "/")
    page.evaluate("window.sameDocument = true")
    assert gated_log(page) == []
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => gatedLog.length === 3")
    assert gated_log(page) == ["a", "inline", "b"]  # document order: external, inline, external
    assert page.evaluate("window.sameDocument") is True
    assert "_sa_js" in {c["name"] for c in page.context.cookies()}
    # The placeholder became the iframe it stood for.
    expect(page.locator('iframe[data-consent="social_embeds"]')).to_have_attribute("src", "/t/embed")
    expect(page.locator(".consent-placeholder")).to_have_count(0)


def test_gated_scripts_never_run_after_rejecting(shop: Shop, open_page) -> None:  # C6
    page = open_page()
    page.goto(shop.url + "/")
    page.get_by_role("button", name="Reject all").click()
    expect(page.locator("#consent-reopen")).to_be_visible()
    page.evaluate("flaskConsent.state()")
    assert gated_log(page) == []
    page.reload()
    page.evaluate("flaskConsent.state()")
    assert gated_log(page) == []
    expect(page.locator(".consent-placeholder")).to_have_count(1)
    expect(page.locator("iframe")).to_have_count(0)


def test_scripts_render_live_from_the_server_once_granted_without_javascript(shop: Shop, open_page) -> None:  # C32
    page = open_page(js=False)
    page.goto(shop.url + "/")
    expect(page.locator('script[data-consent][type="text/plain"]')).to_have_count(4)
    page.get_by_role("button", name="Accept all").click()
    expect(page.locator("#consent-reopen")).to_be_visible()
    expect(page.locator('script[data-consent][type="text/plain"]')).to_have_count(0)
    expect(page.locator('iframe[data-consent="social_embeds"]')).to_have_count(1)


def test_placeholder_allow_shows_the_frame_in_place(shop: Shop, open_page) -> None:  # C6, C25
    page = open_page()
    page.goto(shop.url + "/")
    page.evaluate("window.sameDocument = true")
    page.get_by_role("button", name="Allow: Social embeds").click()
    expect(page.locator('iframe[data-consent="social_embeds"]')).to_be_visible()
    assert page.evaluate("window.sameDocument") is True
    assert shop.granted(page) == {"social_embeds"}
    assert [r.method for r in shop.records] == ["prompt"]
    assert gated_log(page) == []  # analytics stays off
    expect(page.locator("#consent-banner")).to_be_visible()  # the other purposes are still undecided


def test_gtag_default_before_any_tag_and_one_update_per_decision(shop: Shop, open_page) -> None:  # C21, C22, C23
    page = open_page()
    page.goto(shop.url + "/")
    log = page.evaluate("gtagLog")
    assert len(log) == 1
    command, kind, params = log[0]
    assert (command, kind) == ("consent", "default")
    assert set(params) == GCM_TYPES | {"wait_for_update"}
    assert {t for t in GCM_TYPES if params[t] == "granted"} == {"security_storage"}
    # Decision 1: customise, recommendations only; the Google tag stays unloaded (basic mode).
    page.locator("#consent-banner summary").click()
    page.get_by_label("Personalised recommendations").check()
    page.get_by_role("button", name="Save choices").click()
    expect(page.locator("#consent-reopen")).to_be_visible()
    updates = [e for e in page.evaluate("gtagLog") if e[1] == "update"]
    assert len(updates) == 1 and set(updates[0][2]) == GCM_TYPES
    assert updates[0][2]["personalization_storage"] == "granted" and updates[0][2]["ad_storage"] == "denied"
    assert not [e for e in page.evaluate("gtagLog") if e[0] == "js"]
    # Decision 2: reopen and accept all; the tag loads after the update.
    page.locator("#consent-reopen").click()
    page.locator("#consent-banner").get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => gtagLog.some(e => e[0] === 'js')")
    log = page.evaluate("gtagLog")
    updates = [i for i, e in enumerate(log) if e[1] == "update"]
    assert len(updates) == 2
    assert set(log[updates[1]][2]) == GCM_TYPES and set(log[updates[1]][2].values()) == {"granted"}
    assert log[0][1] == "default" and updates[1] < next(i for i, e in enumerate(log) if e[0] == "js")


def test_consent_change_event_and_api(shop: Shop, open_page) -> None:  # C22
    page = open_page()
    page.goto(shop.url + "/")
    assert page.evaluate("flaskConsent.state().then(s => s.banner_due)") is True
    assert page.evaluate("flaskConsent.granted('analytics')") is False
    page.evaluate(
        "window.changes = []; document.addEventListener('consent:change', e => changes.push(e.detail))"
    )
    page.evaluate("flaskConsent.show()")
    expect(page.get_by_label("Personalised recommendations")).to_be_focused()
    expect(page.locator("#consent-banner details")).to_have_attribute("open", "")
    page.get_by_label("Analytics", exact=True).check()
    page.get_by_role("button", name="Save choices").click()
    page.wait_for_function("() => changes.length === 1")
    detail = page.evaluate("changes[0]")
    assert set(detail["granted"]) == {"necessary", "analytics"}
    assert "advertising" in detail["denied"] and "analytics" not in detail["denied"]
    assert page.evaluate("flaskConsent.granted('analytics')") is True
    assert page.evaluate("flaskConsent.state().then(s => s.granted)") == detail["granted"]


def test_strict_csp_page_logs_no_violation(shop: Shop, open_page) -> None:  # C6 (CSP), C21
    page = open_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(shop.url + "/nearby")
    page.get_by_role("button", name="Allow").click()
    expect(page.locator("#nearby")).to_be_visible()
    assert page.evaluate("cspViolations") == []
    page.goto(shop.url + "/")
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => gatedLog.length === 3")
    page.locator("#consent-reopen").click()
    expect(page.locator(".consent-panel")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".consent-panel")).to_have_count(0)
    assert page.evaluate("cspViolations") == []
    page.goto(shop.url + "/")
    assert page.evaluate("gatedLog") == ["a", "inline", "b"]  # live from the server, nonce and all
    assert page.evaluate("cspViolations") == []
    assert not [e for e in errors if "Content Security Policy" in e]
