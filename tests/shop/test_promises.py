"""The privacy policy's promises beyond consent: sellers see only their own orders' delivery details, the
security log of sign-ins, interests used only with consent (C26), and the governing law (PDPO)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from example_shop.extensions import db
from example_shop.models import Order, OrderLine, Product, Seller, SignIn, User, utcnow
from example_shop.seed import DEMO_SELLER, demo_logins
from example_shop.signins import KEEP, browser_family

from .conftest import decide, login, register, token

OTHER_SELLER = "seller@ssp-makers.test"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _order(shop: Flask, email: str, consignee: str, category: str) -> int:
    """An order of the member ``email`` for one product of ``category``, delivered to ``consignee``."""
    with shop.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        product = db.session.scalar(db.select(Product).where(Product.category == category).limit(1))
        assert user is not None and product is not None
        order = Order(user_id=user.id, consignee=consignee, address=f"Flat of {consignee}, Tai Po",
                      phone="+852 6000 1234", total_cents=product.price_cents)
        order.lines.append(OrderLine(product_id=product.id, quantity=2, price_cents=product.price_cents))
        db.session.add(order)
        db.session.commit()
        return order.id


def _seller_page(shop: Flask, email: str) -> str:
    client = shop.test_client()
    login(client, shop, email)
    r = client.get("/seller/orders")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_the_seed_makes_a_marketplace(shop: Flask) -> None:
    with shop.app_context():
        sellers = db.session.scalars(db.select(Seller)).all()
        assert len(sellers) >= 2
        assert db.session.scalar(db.select(db.func.count(Product.id)).where(Product.seller_id.is_(None))) == 0
    assert {DEMO_SELLER, OTHER_SELLER} <= set(demo_logins(shop))


def test_a_seller_sees_only_its_own_orders_delivery_details(shop: Flask, client: FlaskClient) -> None:
    register(client, email="yip@example.test", name="Yip")
    tea = _order(shop, "yip@example.test", "Yip Tea Lover", "tea")  # Kowloon Tea House
    wok = _order(shop, "yip@example.test", "Yip Wok Buyer", "kitchen")  # Sham Shui Po Makers
    tea_house = _seller_page(shop, DEMO_SELLER)
    assert "Yip Tea Lover" in tea_house and "Flat of Yip Tea Lover, Tai Po" in tea_house and "6000 1234" in tea_house
    assert f'data-order="{tea}"' in tea_house
    assert "Yip Wok Buyer" not in tea_house and f'data-order="{wok}"' not in tea_house  # seller B's order
    assert "yip@example.test" not in tea_house  # nothing about the shopper beyond the delivery
    makers = _seller_page(shop, OTHER_SELLER)
    assert "Yip Wok Buyer" in makers and "Yip Tea Lover" not in makers


def test_a_shopper_is_not_a_seller(shop: Flask, client: FlaskClient) -> None:
    assert client.get("/seller/orders").status_code == 302  # sign in first
    login(client, shop)
    assert client.get("/seller/orders").status_code == 403


def test_policy_and_download_name_the_sellers(shop: Flask, client: FlaskClient) -> None:
    policy = client.get("/privacy/policy").get_data(as_text=True)
    assert "each product is sold by one seller" in policy and "consignee, delivery address and phone" in policy
    register(client, email="kwok@example.test", name="Kwok")
    _order(shop, "kwok@example.test", "Kwok", "tea")
    orders = json.loads(client.get("/privacy/download").data)["orders"]
    assert orders[0]["delivery_details_given_to_sellers"] == ["Kowloon Tea House"]
    assert orders[0]["lines"][0]["seller"] == "Kowloon Tea House"


def test_sign_ins_are_logged_with_a_keyed_ip_hash_and_browser_family(shop: Flask, client: FlaskClient) -> None:
    register(client, email="fung@example.test", name="Fung")
    r = client.post("/account/login", data={"csrf_token": token(client, "/account/login"),
                                            "email": "fung@example.test", "password": "correct horse battery"},
                    headers={"User-Agent": FIREFOX}, environ_base={"REMOTE_ADDR": "192.0.2.44"})
    assert r.status_code == 303
    with shop.app_context():
        rows = db.session.scalars(db.select(SignIn).join(User).where(User.email == "fung@example.test")).all()
        key = Path(shop.instance_path) / "signin_ip_key"
    assert len(rows) == 2  # registering signs in, then the sign-in
    latest = max(rows, key=lambda s: s.id)
    assert latest.device == "Firefox" and re.fullmatch(r"[0-9a-f]{64}", latest.ip_hash)
    assert "192.0.2.44" not in latest.ip_hash and "Gecko" not in latest.device  # C16: no raw IP, no full UA
    assert latest.ip_hash == hmac.new(key.read_bytes(), b"192.0.2.44", hashlib.sha256).hexdigest()
    page = client.get("/account/security").get_data(as_text=True)
    assert "Firefox" in page and latest.ip_hash[:12] in page and "192.0.2.44" not in page
    log = json.loads(client.get("/privacy/download").data)["security_log"]
    assert {entry["device"] for entry in log} >= {"Firefox"} and len(log) == 2


def test_sign_ins_older_than_the_stated_period_are_pruned(shop: Flask, client: FlaskClient) -> None:
    login(client, shop)
    with shop.app_context():
        db.session.execute(db.update(SignIn).values(at=utcnow() - KEEP - timedelta(days=1)))
        db.session.commit()
    login(shop.test_client(), shop)  # the next sign-in prunes
    with shop.app_context():
        assert db.session.scalar(db.select(db.func.count(SignIn.id))) == 1
    assert "180 days" in client.get("/privacy/policy").get_data(as_text=True)


def test_browser_family_only() -> None:
    chrome = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
    assert browser_family(chrome) == "Chrome" and browser_family(chrome + " Edg/131.0") == "Edge"
    assert browser_family("curl/8.5") == "Other"


def _set_interests(client: FlaskClient, *categories: str) -> None:
    r = client.post("/account/interests", data={"csrf_token": token(client, "/account/"),
                                                "interests": list(categories)})
    assert r.status_code == 303


def test_interests_personalise_only_with_consent(shop: Flask, client: FlaskClient) -> None:  # C26
    register(client, email="tse@example.test", name="Tse")
    _set_interests(client, "stationery", "not-a-category")
    assert 'id="interest-stationery" name="interests" value="stationery" checked' in \
        client.get("/account/").get_data(as_text=True)
    with shop.app_context():
        stationery = {p.name for p in db.session.scalars(db.select(Product).where(Product.category == "stationery"))}

    def picks() -> set[str]:
        html = client.get("/recommendations").get_data(as_text=True)
        return {name for name in stationery if name in html}

    decide(client, "reject_all")
    refused = picks()
    decide(client, "save", "recommendations")
    granted = picks()
    assert len(granted) >= 8 > len(refused)  # all eight stationery products only with consent
    decide(client, "save")  # withdrawn again: back to bestsellers
    assert picks() == refused
    assert json.loads(client.get("/privacy/download").data)["interests"] == ["stationery"]


def test_policy_names_the_law_and_the_privacy_commissioner(client: FlaskClient) -> None:
    policy = client.get("/privacy/policy").get_data(as_text=True)
    assert "Hong Kong" in policy and "Personal Data (Privacy) Ordinance" in policy and "Cap. 486" in policy
    assert "right to complain to the Privacy Commissioner for Personal Data" in policy
