"""The policy's second paragraph on cancelling: "Cancelling also deletes your analytics page views,
customer-service messages, the security log of your sign-ins and your interests." The sign-in log and the
interests, proved here (the page views and the messages have their own tests; see docs/policy-map.md)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from example_shop.extensions import db
from example_shop.models import Interest, SignIn, User

from .conftest import register, token


def test_cancelling_deletes_the_sign_in_log_and_the_interests(shop: Flask, client: FlaskClient) -> None:  # C26
    register(client, "ho@example.test", "Ho Ka Yan")
    client.post("/account/logout", data={"csrf_token": token(client)})
    r = client.post("/account/login", data={"csrf_token": token(client, "/account/login"),
                                            "email": "ho@example.test", "password": "correct horse battery"})
    assert r.status_code == 303
    client.post("/account/interests", data={"csrf_token": token(client, "/account/"), "interests": ["tea"]})
    with shop.app_context():
        uid = db.session.scalar(db.select(User.id).where(User.email == "ho@example.test"))
        count = lambda model: db.session.scalar(  # noqa: E731
            db.select(db.func.count()).select_from(model).where(model.user_id == uid))
        assert count(SignIn) >= 1 and count(Interest) == 1
    r = client.post("/privacy/cancel", data={"csrf_token": token(client, "/privacy"),
                                             "password": "correct horse battery", "confirm": "y"})
    assert r.status_code == 303
    with shop.app_context():
        assert count(SignIn) == 0 and count(Interest) == 0
