"""The shop works with every optional purpose refused, down to a placed order (C8), and sharing with
partners happens only with its own consent, checked on the server (C24)."""

from __future__ import annotations

import json

import pytest

from example_shop.extensions import db
from example_shop.models import AnalyticsEvent, BrowsingEvent, Order, PartnerShare

from .conftest import cookie_names, decide, login, register, token

NECESSARY_COOKIES = {"session", "consent", "consent_csrf", "remember_token"}


def add_to_cart(client, slug: str = "egg-rolls-tin") -> None:
    r = client.post(f"/cart/{slug}", data={"csrf_token": token(client), "quantity": "2", "add": "1"})
    assert r.status_code == 303


def place_order(client, share: bool = False):
    add_to_cart(client)
    data = {"csrf_token": token(client, "/checkout"), "consignee": "Wong Siu Mei",
            "address": "Flat 5B, 1 Test Road, Sha Tin", "phone": "+852 6000 1234"}
    if share:
        data["share_with_partner"] = "y"
    return client.post("/checkout", data=data)


def test_checkout_end_to_end_with_everything_refused(shop, client):  # C8
    decide(client, "reject_all", scope="due")
    assert 'id="consent-reopen"' in client.get("/").get_data(as_text=True)
    for path in ("/", "/products", "/products?q=tea", "/product/egg-rolls-tin", "/stores", "/recommendations",
                 "/privacy", "/privacy/policy", "/cart"):
        assert client.get(path).status_code == 200, path
    register(client)
    r = place_order(client)
    assert r.status_code == 303 and "/orders/" in r.headers["Location"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Thank you for your order" in page and 'data-shared="no"' in page
    with shop.app_context():
        order = db.session.scalars(db.select(Order).where(Order.consignee == "Wong Siu Mei")).one()
        assert order.consignee == "Wong Siu Mei" and order.lines[0].quantity == 2
        assert db.session.scalar(db.select(db.func.count()).select_from(BrowsingEvent)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(AnalyticsEvent)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(PartnerShare)) == 0
    assert cookie_names(client) <= NECESSARY_COOKIES


def test_checkout_without_account_asks_to_sign_in_first(client):  # C8
    client.post("/cart/egg-rolls-tin", data={"csrf_token": token(client), "quantity": "1", "add": "1"})
    r = client.get("/checkout")
    assert r.status_code == 302 and "/account/login" in r.headers["Location"]
    assert "Egg rolls tin" in client.get("/cart").get_data(as_text=True)


def test_forged_share_field_shares_nothing_without_consent(shop, client):  # C24
    decide(client, "accept_all")
    decide(client, "save", "recommendations", "analytics", "advertising", "social_embeds")  # all but sharing
    register(client)
    add_to_cart(client)
    assert "Share this order" not in client.get("/checkout").get_data(as_text=True)
    r = place_order(client, share=True)
    assert r.status_code == 303
    assert 'data-shared="no"' in client.get(r.headers["Location"]).get_data(as_text=True)
    with shop.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(PartnerShare)) == 0


def test_sharing_with_consent_then_withdrawal_empties_the_partner_queue(shop, client):  # C24
    register(client)
    decide(client, "grant", "third_party_sharing")
    add_to_cart(client)
    assert "Share this order" in client.get("/checkout").get_data(as_text=True)
    r = place_order(client, share=True)
    assert 'data-shared="yes"' in client.get(r.headers["Location"]).get_data(as_text=True)
    with shop.app_context():
        share = db.session.scalars(db.select(PartnerShare)).one()
        assert json.loads(share.payload)["email"] == "mei@example.test"
    decide(client, "save")  # withdraw everything
    with shop.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(PartnerShare)) == 0


def test_unticked_share_box_shares_nothing_even_with_consent(shop, client):  # C24
    register(client)
    decide(client, "grant", "third_party_sharing")
    place_order(client, share=False)
    with shop.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(PartnerShare)) == 0


def test_members_review_and_favourite_products(shop, client):
    login(client, shop)
    page = "/product/jasmine-green-tea"
    r = client.post(page + "/review", data={"csrf_token": token(client, page), "rating": "4", "body": "Fragrant."})
    assert r.status_code == 303
    client.post(page + "/favourite", data={"csrf_token": token(client, page)})
    html = client.get(page).get_data(as_text=True)
    assert "Fragrant." in html and "Remove from favourites" in html
    assert "Jasmine green tea" in client.get("/account/").get_data(as_text=True)


def test_shop_forms_need_csrf_token(shop, client):
    login(client, shop)
    r = client.post("/product/jasmine-green-tea/review", data={"rating": "4", "body": "No token"})
    assert r.status_code == 400


@pytest.mark.parametrize(("address", "district"), [
    ("Flat 5B, 1 Test Road, Sha Tin", "Sha Tin"),
    ("Harbour Court\r\n8 Demo Street\r\nMong Kok", "Yau Tsim Mong"),  # several lines, no comma
    ("12/F, 8 North Point Road, North Point", "Eastern"),
    ("Room 3, Block B, Somewhere Estate", None),  # no district named: nothing rather than the street
    ("Flat 3, 12 Tai Po Road, Tai Wai", "Sha Tin"),  # a street named after a district is no district
    ("Flat 5A, North Tower, Kowloon Station", None),
    ("Flat 1, 1 Nathan Road, Mong Kok, Kowloon", "Yau Tsim Mong"),  # the region after the district
])
def test_a_partner_gets_the_district_never_the_street(shop, client, address, district):  # C24
    register(client)
    decide(client, "grant", "third_party_sharing")
    add_to_cart(client)
    r = client.post("/checkout", data={"csrf_token": token(client, "/checkout"), "consignee": "Wong Siu Mei",
                                       "address": address, "phone": "+852 6000 1234", "share_with_partner": "y"})
    assert r.status_code == 303
    with shop.app_context():
        payload = json.loads(db.session.scalars(db.select(PartnerShare)).one().payload)
    assert payload["district"] == district
    assert set(payload) == {"email", "district", "items"}
