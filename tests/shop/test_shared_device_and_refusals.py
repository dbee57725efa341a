"""The shop's promises on shared computers and refusals, each found broken by a review and reproduced first:
a member's data stays theirs on a device they left signed in, every refusal deletes what was collected under
the purpose (a GPC opt-out, a re-ask after a new policy, a refusal carried over at sign-in), and cancelling
an account deletes this device's browsing too."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from example_shop.extensions import db
from example_shop.models import AnalyticsEvent, BrowsingEvent, PartnerShare

from .conftest import cookie_names, decide, login, register, token


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(db.select(db.func.count()).select_from(model)) or 0)


def _browse_and_beacon(client: FlaskClient) -> None:
    client.get("/product/pearl-cream")
    client.get("/product/silk-eye-mask")
    client.post("/tp/collect", json={"path": "/orders/1"}, headers={"X-CSRFToken": token(client)})


def _checkout_shared(client: FlaskClient) -> None:
    t = token(client, "/product/tieguanyin-oolong")
    client.post("/cart/tieguanyin-oolong", data={"csrf_token": t, "quantity": 1, "add": 1})
    r = client.post("/checkout", data={"csrf_token": t, "consignee": "Chan", "address": "1 Road, Mong Kok",
                                       "phone": "+852 5555 0123", "share_with_partner": "y"})
    assert r.status_code == 303


def test_the_next_person_on_a_device_left_signed_in_sees_none_of_the_members_data(shop: Flask) -> None:
    """A member accepted, browsed and closed the browser without signing out (the session ended, the consent
    cookie stayed). The next person there is anonymous: no consent records, browsing, page views or
    recommendations of the member."""
    device = shop.test_client()
    login(device, shop)
    decide(device, "accept_all")
    _browse_and_beacon(device)
    assert _count(shop, BrowsingEvent) == 2 and _count(shop, AnalyticsEvent) == 1
    device.delete_cookie("session")

    data = device.get("/privacy/download").get_json()
    assert data["consent_records"] == [] and data["browsing_history"] == []
    assert data["analytics_page_views"] == []
    assert "/consent/receipt/" not in device.get("/privacy").get_data(as_text=True)
    assert "<h1>Bestsellers</h1>" in device.get("/recommendations").get_data(as_text=True)  # nothing of theirs

    login(device, shop)  # the member themselves, back: everything is theirs again
    assert "<h1>Recommended for you</h1>" in device.get("/recommendations").get_data(as_text=True)
    data = device.get("/privacy/download").get_json()
    assert len(data["consent_records"]) >= 1 and len(data["browsing_history"]) == 2
    assert len(data["analytics_page_views"]) == 1


def test_a_gpc_opt_out_deletes_what_was_queued_for_partners(shop: Flask) -> None:
    member = shop.test_client()
    login(member, shop)
    decide(member, "accept_all")
    _checkout_shared(member)
    assert _count(shop, PartnerShare) == 1
    member.get("/", headers={"Sec-GPC": "1"})  # the signal refuses sharing with partners, and it is recorded
    assert _count(shop, PartnerShare) == 0


def test_refusing_at_the_re_ask_of_a_new_policy_deletes_history_and_cookies(shop: Flask, make_shop: Any) -> None:
    """Decisions made under the old policy no longer hold, yet what was collected under them is still there:
    "Reject all" in the new banner deletes it and takes its cookies off the browser."""
    visitor = shop.test_client()
    decide(visitor, "accept_all")
    _browse_and_beacon(visitor)
    assert {"recs_recent", "_shop_analytics"} <= cookie_names(visitor)

    new_policy = make_shop(CONSENT_POLICY_VERSION="2099-01")
    again = new_policy.test_client()
    for cookie in visitor._cookies.values():  # type: ignore[attr-defined]
        again.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    assert 'id="consent-banner"' in again.get("/").get_data(as_text=True)
    decide(again, "reject_all", scope="due")
    assert _count(new_policy, BrowsingEvent) == 0 and _count(new_policy, AnalyticsEvent) == 0
    assert not {"recs_recent", "_shop_analytics"} & cookie_names(again)


def test_a_refusal_carried_over_at_sign_in_deletes_the_accounts_history(shop: Flask) -> None:
    laptop = shop.test_client()
    login(laptop, shop)
    decide(laptop, "accept_all")
    _browse_and_beacon(laptop)
    time.sleep(1.1)  # the cookie keeps whole seconds: the phone's refusal is the newer decision
    phone = shop.test_client()
    decide(phone, "reject_all")
    login(phone, shop)  # the phone's refusal becomes the account's decision
    assert _count(shop, BrowsingEvent) == 0 and _count(shop, AnalyticsEvent) == 0


def test_cancelling_an_account_deletes_the_browsing_of_this_device_before_sign_in(shop: Flask) -> None:
    client = shop.test_client()
    decide(client, "accept_all")
    client.get("/product/tieguanyin-oolong")  # as a visitor
    register(client)
    client.get("/product/bamboo-steamer")  # as the new member
    assert _count(shop, BrowsingEvent) == 2
    r = client.post("/privacy/cancel", data={"csrf_token": token(client, "/privacy"),
                                             "password": "correct horse battery", "confirm": "y"})
    assert r.status_code == 303
    assert _count(shop, BrowsingEvent) == 0


def test_a_grant_that_lapsed_is_no_refusal_its_data_stays_until_the_visitor_answers(
    shop: Flask, make_shop: Any
) -> None:
    """After a new policy the old grant no longer holds, but nothing was refused: a GPC page view (which
    refuses only its own purposes) deletes no browsing history, and accepting again finds it still there."""
    visitor = shop.test_client()
    decide(visitor, "accept_all")
    visitor.get("/product/pearl-cream")
    visitor.get("/product/silk-eye-mask")
    new_policy = make_shop(CONSENT_POLICY_VERSION="2099-01")
    again = new_policy.test_client()
    for cookie in visitor._cookies.values():  # type: ignore[attr-defined]
        again.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    again.get("/", headers={"Sec-GPC": "1"})
    assert _count(new_policy, BrowsingEvent) == 2
    decide(again, "accept_all", scope="due")
    assert _count(new_policy, BrowsingEvent) == 2


def test_signing_out_deletes_what_the_device_collected_while_nobody_was_signed_in(shop: Flask) -> None:
    """A guest browses, signs in, signs out: the device becomes a new visitor, so its anonymous browsing and
    page views would be left where nobody can reach or delete them. They go at sign-out; after that a refusal
    and a cancellation leave nothing behind."""
    device = shop.test_client()
    decide(device, "accept_all")
    _browse_and_beacon(device)  # as a guest
    register(device)
    device.get("/product/bamboo-steamer")  # as the member
    assert _count(shop, BrowsingEvent) == 3 and _count(shop, AnalyticsEvent) == 1
    device.post("/account/logout", data={"csrf_token": token(device)})
    assert _count(shop, BrowsingEvent) == 1 and _count(shop, AnalyticsEvent) == 0  # the member's view stays theirs

    device.post("/account/login", data={"csrf_token": token(device, "/account/login"),
                                        "email": "mei@example.test", "password": "correct horse battery"})
    decide(device, "reject_all")
    r = device.post("/privacy/cancel", data={"csrf_token": token(device, "/privacy"),
                                             "password": "correct horse battery", "confirm": "y"})
    assert r.status_code == 303
    assert _count(shop, BrowsingEvent) == 0 and _count(shop, AnalyticsEvent) == 0


def test_a_member_signing_in_over_another_gets_none_of_their_cart(shop: Flask) -> None:
    device = shop.test_client()
    login(device, shop)
    t = token(device, "/product/tieguanyin-oolong")
    device.post("/cart/tieguanyin-oolong", data={"csrf_token": t, "quantity": 3, "add": 1})
    assert "Tieguanyin" in device.get("/cart").get_data(as_text=True)
    register(shop.test_client(), email="bo@example.test", name="Chan Bo")
    device.post("/account/login", data={"csrf_token": token(device, "/account/login"),
                                        "email": "bo@example.test", "password": "correct horse battery"})
    assert "Tieguanyin" not in device.get("/cart").get_data(as_text=True)


def test_signing_in_or_registering_over_another_member_is_their_sign_out_first(shop: Flask) -> None:
    """A guest browses, member A signs in, then B signs in over A (no sign-out), or registers: A's cart goes,
    and so does what the device collected while nobody was signed in (A would never reach it again)."""
    device = shop.test_client()
    decide(device, "accept_all")
    _browse_and_beacon(device)  # as a guest
    login(device, shop)
    t = token(device, "/product/tieguanyin-oolong")
    device.post("/cart/tieguanyin-oolong", data={"csrf_token": t, "quantity": 1, "add": 1})
    assert _count(shop, BrowsingEvent) == 3 and _count(shop, AnalyticsEvent) == 1  # 2 as a guest, 1 as A
    register(device, email="bo@example.test", name="Chan Bo")
    assert "Tieguanyin" not in device.get("/cart").get_data(as_text=True)
    assert _count(shop, BrowsingEvent) == 1 and _count(shop, AnalyticsEvent) == 0  # A's own view stays A's


def test_a_guests_cart_comes_along_when_they_sign_in(shop: Flask) -> None:
    device = shop.test_client()
    t = token(device, "/product/tieguanyin-oolong")
    device.post("/cart/tieguanyin-oolong", data={"csrf_token": t, "quantity": 1, "add": 1})
    login(device, shop)
    assert "Tieguanyin" in device.get("/cart").get_data(as_text=True)
