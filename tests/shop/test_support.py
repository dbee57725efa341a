"""Customer service (``/support``): contact about an order, disputes and returns, answered against the
15-day target on the same clock as data requests (C27's clock), in the download and gone on cancellation."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from example_shop.deadlines import deadlines_for
from example_shop.extensions import db
from example_shop.models import Order, SupportCase, User, utcnow

from .conftest import login, login_admin, register, token

#: The demo member's return, from the seed.
SEEDED_CASE = "The lid of the steamer does not fit; I would like to return it."


def _order_of(shop: Flask, email: str) -> int:
    with shop.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        assert user is not None
        order = Order(user_id=user.id, consignee=user.name, address="1 Test Road", phone="+852 5555 0000",
                      total_cents=1000)
        db.session.add(order)
        db.session.commit()
        return order.id


def _open(client: FlaskClient, kind: str, order: int | str, message: str) -> int:
    return client.post("/support", data={"csrf_token": token(client, "/support"), "kind": kind,
                                         "order": str(order), "message": message}).status_code


def test_a_member_opens_a_dispute_and_sees_it_answered(shop: Flask, client: FlaskClient) -> None:
    register(client, email="ho@example.test", name="Ho Ka Ming")
    order = _order_of(shop, "ho@example.test")
    assert _open(client, "dispute", order, "The wok arrived dented.") == 303
    page = client.get("/support").get_data(as_text=True)
    with shop.app_context():
        case = db.session.scalars(db.select(SupportCase).where(SupportCase.order_id == order)).one()
        due = deadlines_for(case.created_at).target_due
    assert "The wok arrived dented." in page and f"answer due by {due.isoformat()}" in page
    assert due - deadlines_for(case.created_at).received == timedelta(days=15)  # the data requests' clock

    admin = shop.test_client()
    login_admin(admin, shop)
    assert "The wok arrived dented." in admin.get("/support/queue").get_data(as_text=True)
    r = admin.post(f"/support/{case.id}/answer", data={"csrf_token": token(admin, "/support/queue"),
                                                       "reply": "Sorry! A new wok is on its way."})
    assert r.status_code == 303
    page = client.get("/support").get_data(as_text=True)
    assert "A new wok is on its way." in page and 'data-status="answered"' in page


def test_a_case_past_the_target_is_marked_late(shop: Flask, client: FlaskClient) -> None:
    login(client, shop)
    assert _open(client, "question", "", "Do you ship to Lamma Island?") == 303
    with shop.app_context():
        db.session.execute(db.update(SupportCase).values(created_at=utcnow() - timedelta(days=16)))
        db.session.commit()
    assert "(late)" in client.get("/support").get_data(as_text=True)


def test_no_dispute_about_another_members_order(shop: Flask, client: FlaskClient) -> None:
    register(client, email="mak@example.test", name="Mak")
    someone_elses = _order_of(shop, "demo@harbour-goods.test")
    with shop.app_context():
        before = db.session.scalar(db.select(db.func.count(SupportCase.id)))
    assert _open(client, "dispute", someone_elses, "Give me their order") == 400
    assert _open(client, "return", "", "Which order?") == 400  # a return names one of your orders
    with shop.app_context():
        assert db.session.scalar(db.select(db.func.count(SupportCase.id))) == before


def test_support_needs_an_account(client: FlaskClient) -> None:
    r = client.get("/support")
    assert r.status_code == 302 and "/account/login" in r.headers["Location"]
    assert client.get("/support/queue").status_code == 302


def test_a_shopper_cannot_see_the_queue(shop: Flask, client: FlaskClient) -> None:
    login(client, shop)
    assert client.get("/support/queue").status_code == 403


def test_cases_are_in_the_download_and_gone_after_cancelling(shop: Flask, client: FlaskClient) -> None:
    register(client, email="siu@example.test", name="Siu")
    order = _order_of(shop, "siu@example.test")
    assert _open(client, "return", order, "Returning the Siu teapot") == 303
    cases = json.loads(client.get("/privacy/download").data)["support_cases"]
    assert [c["message"] for c in cases] == ["Returning the Siu teapot"] and cases[0]["target_due"]
    r = client.post("/privacy/cancel", data={"csrf_token": token(client, "/privacy"),
                                             "password": "correct horse battery", "confirm": "y"})
    assert r.status_code == 303
    with shop.app_context():
        assert db.session.scalars(db.select(SupportCase.message)).all() == [SEEDED_CASE]
