"""Global Privacy Control from the browser: ``navigator.globalPrivacyControl`` is honoured (C18, C19).

Page scripts cannot send ``Sec-GPC``, so the banner script sends ``X-GPC: 1``; the server reads it like
``Sec-GPC: 1``. The client tests pin that server side; the browser tests inject the navigator property.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from .conftest import Shop, build_test_shop

GPC_KEYS = {"advertising", "third_party_sharing"}
ALL = {"recommendations", "location", "voice_photo_search", "analytics", "advertising", "third_party_sharing",
       "social_embeds"}


def json_choice(client: Any, action: str, purposes: list[str], **headers: str) -> Any:
    token = client.get("/consent/state").get_json()["csrf_token"]
    return client.post("/consent", json={"action": action, "purposes": purposes, "scope": "all"},
                       headers={"X-CSRFToken": token, "X-Consent-Client": "banner", **headers})


def test_x_gpc_header_refuses_gpc_purposes_on_accept_all(tmp_path: Any) -> None:  # C18
    app = build_test_shop(f"sqlite:///{tmp_path / 'c.db'}", str(tmp_path / "i"))
    response = json_choice(app.test_client(), "accept_all", [], **{"X-GPC": "1"})
    assert set(response.get_json()["granted"]) == ALL - GPC_KEYS | {"necessary"}
    assert {p["key"] for p in response.get_json()["purposes"] if p["gpc_honoured"]} == GPC_KEYS


def test_x_gpc_other_values_are_ignored(tmp_path: Any) -> None:  # C18
    app = build_test_shop(f"sqlite:///{tmp_path / 'c.db'}", str(tmp_path / "i"))
    response = json_choice(app.test_client(), "accept_all", [], **{"X-GPC": "true"})
    assert set(response.get_json()["granted"]) == ALL | {"necessary"}


def test_x_gpc_withdraws_a_stored_grant_with_one_record_not_one_per_request(tmp_path: Any) -> None:  # C14, C19
    app = build_test_shop(f"sqlite:///{tmp_path / 'c.db'}", str(tmp_path / "i"))
    client = app.test_client()
    json_choice(client, "accept_all", [])
    for _ in range(3):
        state = client.get("/consent/state", headers={"X-GPC": "1"}).get_json()
    assert set(state["denied"]) == GPC_KEYS
    records = list(app.extensions["consent"].store.iter_records())
    assert [(r.method, r.gpc) for r in records] == [("preferences", False), ("gpc", True)]


def test_navigator_gpc_is_honoured_in_the_browser(shop: Shop, open_page) -> None:  # C18, C19, C22
    page = open_page(gpc=True)
    page.goto(shop.url + "/")
    page.evaluate("flaskConsent.state()")
    assert [(r.method, r.gpc) for r in shop.records] == [("gpc", True)]  # honoured without asking, once
    page.get_by_role("button", name="Accept all").click()
    expect(page.locator("#consent-reopen")).to_be_visible()
    assert shop.granted(page) == ALL - GPC_KEYS
    assert [(r.method, r.gpc) for r in shop.records] == [("gpc", True), ("banner_accept_all", True)]
    update = [e for e in page.evaluate("gtagLog") if e[1] == "update"][-1][2]
    assert update["ad_storage"] == "denied" and update["analytics_storage"] == "granted"
    # The next page asks nothing more.
    page.goto(shop.url + "/")
    expect(page.locator("#consent-banner")).to_have_count(0)
    # An explicit, per-purpose grant made while the signal is on is honoured (and recorded with the flag).
    page.locator("#consent-reopen").click()
    expect(page.get_by_text("Opt-out preference signal honoured").first).to_be_visible()
    advertising = page.get_by_label("Advertising", exact=True)
    expect(advertising).not_to_be_checked()
    advertising.check()
    page.get_by_role("button", name="Save choices").click()
    expect(page.locator("#consent-reopen")).to_be_visible()
    assert shop.granted(page) == ALL - {"third_party_sharing"}
    assert [(r.method, r.gpc) for r in shop.records][-1] == ("preferences", True)


def test_without_navigator_gpc_accept_all_grants_everything(shop: Shop, open_page) -> None:  # C18
    page = open_page()
    page.goto(shop.url + "/")
    page.get_by_role("button", name="Accept all").click()
    expect(page.locator("#consent-reopen")).to_be_visible()
    assert shop.granted(page) == ALL
    assert [r.gpc for r in shop.records] == [False]
