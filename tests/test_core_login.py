"""Issue 2, item 7: with Flask-Login, a member's choice follows them; the newer decision wins on login."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from conftest import choose
from core_util import DAY, ext, payload, records, sign, with_members

from flask_consent import ConsentRecord

flask_login = pytest.importorskip("flask_login")

SECRET = "test-secret-key-0123456789abcdef"


@pytest.fixture
def login_app(make_app):
    return with_members(make_app())


def _granted(client) -> list[str]:
    return client.get("/consent/state").get_json()["granted"]


def test_records_carry_the_user_id(login_app):
    client = login_app.test_client()
    client.get("/login/42")
    choose(client, "save", ("analytics",))
    assert [r.user_id for r in records(login_app)] == ["42"]


def test_account_newer_than_device_is_adopted(login_app):  # C11
    laptop = login_app.test_client()
    laptop.get("/login/7")
    choose(laptop, "save", ("analytics", "location"))

    phone = login_app.test_client()
    day_ago = time.time() - DAY
    phone.set_cookie("consent", sign(payload({k: [0, 1] for k in ("recommendations", "location", "analytics",
                                                                  "advertising", "third_party_sharing")},
                                             at=day_ago), SECRET, at=day_ago))
    assert _granted(phone) == ["necessary"]
    phone.get("/login/7")
    assert _granted(phone) == ["necessary", "location", "analytics"]
    merged = records(login_app)[-1]
    assert merged.method == "login_merge" and merged.user_id == "7"
    assert merged.granted == {"necessary": 1, "location": 1, "analytics": 1}
    assert 'id="consent-banner"' not in phone.get("/").get_data(as_text=True)


def test_undecided_device_adopts_the_account_choice(login_app):
    laptop = login_app.test_client()
    laptop.get("/login/8")
    choose(laptop, "reject_all")
    phone = login_app.test_client()
    assert 'id="consent-banner"' in phone.get("/").get_data(as_text=True)
    phone.get("/login/8")
    assert 'id="consent-banner"' not in phone.get("/").get_data(as_text=True)
    assert _granted(phone) == ["necessary"]


def test_device_newer_than_account_updates_the_account(login_app):
    old = datetime.now(timezone.utc) - timedelta(days=3)
    ext(login_app).store.append(ConsentRecord(
        subject_id="old-subject-01", consent_id="old-consent-01", policy_version="1", banner_hash="0" * 64,
        granted={"necessary": 1, "advertising": 1}, denied={"analytics": 1}, method="banner_custom",
        user_id="9", created_at=old,
    ))
    phone = login_app.test_client()
    choose(phone, "save", ("analytics",))
    phone.get("/login/9")
    assert _granted(phone) == ["necessary", "analytics"]
    latest = ext(login_app).store.latest_for_user("9")
    assert latest.method == "login_merge" and latest.granted == {"necessary": 1, "analytics": 1}
    assert latest.subject_id != "old-subject-01"

    laptop = login_app.test_client()
    laptop.get("/login/9")
    assert _granted(laptop) == ["necessary", "analytics"]


def test_login_with_nothing_to_merge_writes_nothing(login_app):
    client = login_app.test_client()
    client.get("/login/10")
    client.get("/logout")
    client.get("/login/10")
    assert records(login_app) == []


def test_repeated_logins_do_not_grow_the_log(login_app):  # C14
    client = login_app.test_client()
    choose(client, "save", ("location",))
    client.get("/login/11")
    client.get("/login/11")  # signed in again on the same device: nothing new to record
    assert [r.method for r in records(login_app)] == ["preferences", "login_merge"]


def test_a_tie_within_the_cookie_second_goes_to_the_device(login_app):
    second = int(time.time()) - 10
    ext(login_app).store.append(ConsentRecord(
        subject_id="tie-subject-01", consent_id="tie-consent-01", policy_version="1", banner_hash="0" * 64,
        granted={"necessary": 1}, denied={k: 1 for k in ("recommendations", "location", "analytics", "advertising",
                                                          "third_party_sharing")},
        method="banner_reject_all", user_id="12", created_at=datetime.fromtimestamp(second + 0.9, timezone.utc),
    ))
    phone = login_app.test_client()
    phone.set_cookie("consent", sign(payload({k: [1, 1] for k in ("recommendations", "location", "analytics",
                                                                  "advertising", "third_party_sharing")},
                                             at=second), SECRET, at=second))
    phone.get("/login/12")
    assert "analytics" in _granted(phone)
    assert ext(login_app).store.latest_for_user("12").granted["analytics"] == 1
