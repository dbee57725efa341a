"""The privacy centre and policy: choices and history, download my data, data requests with deadlines,
the admin queue (C27) and account cancellation that leaves no personal data."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from example_shop.data_requests import open_requests
from example_shop.extensions import db
from example_shop.models import DataRequest, User

from .conftest import decide, login, login_admin, register, token


def test_centre_shows_choices_history_and_a_link_to_change_them(client):
    decide(client, "reject_all", scope="due")
    decide(client, "grant", "location")
    html = client.get("/privacy").get_data(as_text=True)
    assert re.search(r'data-purpose="location"><td>[^<]+</td>\s*<td>Allowed', html)
    assert re.search(r'data-purpose="advertising"><td>[^<]+</td>\s*<td>Refused', html)
    assert 'href="/consent/preferences?next=/privacy"' in html
    assert html.count("/consent/receipt/") == 2
    assert "You rejected all in the banner" in html and "You allowed it when asked" in html  # methods in words
    assert client.get("/privacy/").headers["Location"] == "/privacy"


def test_policy_has_its_version_and_every_purpose(shop, client):
    html = client.get("/privacy/policy").get_data(as_text=True)
    assert f"data-policy-version>{shop.config['CONSENT_POLICY_VERSION']}<" in html
    for key in shop.extensions["consent"].registry:
        assert f'id="pp-{key}"' in html
    for cookie in ("_shop_analytics", "_ads_id", "recs_recent", "_live_viewer", "consent", "session"):
        assert f"<code>{cookie}</code>" in html
    assert "15 days" in html and "40 days" in html


def test_download_contains_profile_orders_and_consent_records(shop_on, db_url):
    client = shop_on.test_client()
    register(client)
    decide(client, "grant", "recommendations")
    client.get("/product/clay-pot")
    client.post("/cart/clay-pot", data={"csrf_token": token(client), "quantity": "1", "add": "1"})
    client.post("/checkout", data={"csrf_token": token(client, "/checkout"), "consignee": "Wong Siu Mei",
                                   "address": "1 Test Road, Sha Tin", "phone": "+852 6000 1234"})
    r = client.get("/privacy/download")
    assert r.mimetype == "application/json" and "attachment" in r.headers["Content-Disposition"]
    data = json.loads(r.get_data(as_text=True))
    assert data["profile"]["email"] == "mei@example.test"
    assert data["orders"][0]["consignee"] == "Wong Siu Mei" and data["orders"][0]["lines"][0]["product"] == "Clay pot"
    assert data["browsing_history"][0]["product"] == "Clay pot"
    assert {"favourites", "reviews", "data_requests", "shared_with_partners"} <= set(data)
    records = data["consent_records"]
    assert records and records[0]["granted"].get("recommendations") == 1
    assert all(r["subject_id"] == data["consent_subject_id"] for r in records)


def test_anonymous_download_has_consent_records(client):
    decide(client, "accept_all")
    data = client.get("/privacy/download").get_json()
    assert len(data["consent_records"]) == 1 and "profile" not in data


def all_text(app) -> str:
    """Every value in every table of the shop's and the consent log's databases."""
    chunks: list[str] = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)):
                chunks.extend(str(v) for v in row)
    store = app.extensions["consent"].store
    with store.engine.connect() as conn:
        for row in conn.execute(sa.text("SELECT * FROM consent_records")):
            chunks.extend(str(v) for v in row)
    return "\n".join(chunks)


def test_cancelling_an_account_leaves_no_personal_data(shop_on, db_url):
    client = shop_on.test_client()
    register(client, email="leung@example.test", name="Leung Ka Yan")
    with shop_on.app_context():
        uid, login_id = db.session.execute(
            db.select(User.id, User.login_id).where(User.email == "leung@example.test")).one()
    decide(client, "accept_all")
    client.get("/product/clay-pot")
    page = "/product/clay-pot"
    client.post(page + "/review", data={"csrf_token": token(client, page), "rating": "5", "body": "Great pot, Leung"})
    client.post(page + "/favourite", data={"csrf_token": token(client, page)})
    client.post("/account/", data={"csrf_token": token(client, "/account/"), "name": "Leung Ka Yan",
                                   "phone": "+852 9123 4567", "address": "Flat 9Z, 77 Secret Lane, Tai Po"})
    client.post("/cart/clay-pot", data={"csrf_token": token(client), "quantity": "1", "add": "1"})
    client.post("/checkout", data={"csrf_token": token(client, "/checkout"), "consignee": "Leung Ka Yan",
                                   "address": "Flat 9Z, 77 Secret Lane, Tai Po", "phone": "+852 9123 4567",
                                   "share_with_partner": "y"})
    client.post("/privacy/requests", data={"csrf_token": token(client, "/privacy"), "kind": "access",
                                           "details": "Please send Leung a copy"})
    client.post("/tp/collect", json={"path": "/"}, headers={"X-CSRFToken": token(client)})
    store = shop_on.extensions["consent"].store
    assert any(r.user_id == login_id for r in store.history(None, login_id))
    before = all_text(shop_on)
    assert "leung@example.test" in before and "Secret Lane" in before

    wrong = client.post("/privacy/cancel", data={"csrf_token": token(client, "/privacy"), "password": "nope",
                                                 "confirm": "y"})
    assert wrong.status_code == 400 and "leung@example.test" in all_text(shop_on)

    r = client.post("/privacy/cancel", data={"csrf_token": token(client, "/privacy"),
                                             "password": "correct horse battery", "confirm": "y"})
    assert r.status_code == 303
    after = all_text(shop_on)
    for personal in ("leung@example.test", "Leung", "Secret Lane", "9123 4567", "Great pot"):
        assert personal not in after, personal
    assert store.history(None, login_id) == []
    assert store.count() >= 1  # the proof of consent stays, without identity
    with shop_on.app_context():
        assert db.session.get(User, uid) is None
    assert client.get("/account/").status_code == 302  # signed out


def test_data_request_is_tracked_with_target_and_legal_deadline(shop, client):  # C27
    register(client)
    r = client.post("/privacy/requests", data={"csrf_token": token(client, "/privacy"), "kind": "correction",
                                               "details": "New phone"})
    assert r.status_code == 303
    html = client.get("/privacy").get_data(as_text=True)
    today = datetime.now(timezone(timedelta(hours=8))).date()
    assert (today + timedelta(days=15)).isoformat() in html and (today + timedelta(days=40)).isoformat() in html
    with shop.app_context():
        mine = [q for q in open_requests() if q.details == "New phone"]
    assert len(mine) == 1 and mine[0].kind == "correction" and mine[0].status == "open" and not mine[0].overdue


def test_admin_sees_open_requests_overdue_first(shop, client):  # C27
    now = datetime.now(timezone.utc)
    with shop.app_context():
        db.session.add_all([
            DataRequest(kind="deletion", details="fresh", created_at=now - timedelta(days=1)),
            DataRequest(kind="access", details="very late", created_at=now - timedelta(days=60)),
            DataRequest(kind="access", details="done", status="completed", created_at=now - timedelta(days=90)),
        ])
        db.session.commit()
        queue = open_requests()
    assert [q.overdue for q in queue] == sorted((q.overdue for q in queue), reverse=True)
    assert queue[0].overdue and queue[0].details == "very late"
    assert "done" not in [q.details for q in queue]
    assert {"kind", "created_at", "target_due", "legal_due", "status", "overdue"} <= set(vars(queue[0]))

    login(client, shop)
    assert client.get("/admin/").status_code == 403
    client.post("/account/logout", data={"csrf_token": token(client)})
    login_admin(client, shop)
    html = client.get("/admin/").get_data(as_text=True)
    rows = re.findall(r'<tr class="([^"]*)" data-request-id="(\d+)"', html)
    assert rows[0][0] == "overdue" and rows[-1][0] == ""
    first_id = rows[0][1]
    r = client.post(f"/admin/requests/{first_id}/complete", data={"csrf_token": token(client, "/admin/")})
    assert r.status_code == 303
    assert f'data-request-id="{first_id}"' not in client.get("/admin/").get_data(as_text=True)


def test_the_download_holds_the_requests_words_and_the_cart(shop, client):
    register(client)
    client.post("/cart/clay-pot", data={"csrf_token": token(client), "quantity": "2", "add": "1"})
    client.post("/privacy/requests", data={"csrf_token": token(client, "/privacy"), "kind": "correction",
                                           "details": "My phone is really +852 6666 0000"})
    data = client.get("/privacy/download").get_json()
    assert [q["details"] for q in data["data_requests"]] == ["My phone is really +852 6666 0000"]
    assert [line["quantity"] for line in data["cart"]] == [2]


def test_a_request_shows_the_hong_kong_day_it_arrived(shop, client):  # C27
    """Received at 01:30 in Hong Kong (17:30 UTC the day before): the page shows the Hong Kong day, from which
    the 15 and 40 days count, not the UTC one."""
    register(client)
    client.post("/privacy/requests", data={"csrf_token": token(client, "/privacy"), "kind": "access",
                                           "details": "copy please"})
    with shop.app_context():
        row = db.session.scalars(db.select(DataRequest).where(DataRequest.details == "copy please")).one()
        row.created_at = datetime(2026, 1, 31, 17, 30)  # naive UTC, as the shop stores it
        db.session.commit()
    html = client.get("/privacy").get_data(as_text=True)
    assert ">2026-02-01<" in html and ">2026-02-16<" in html and ">2026-03-13<" in html
    assert "2026-01-31" not in html
