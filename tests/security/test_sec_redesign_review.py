"""The defects found by reviewing the redesigned core, each reproduced, each refused (issue 16)."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest
from conftest import build_app, choose, shop_purposes
from core_util import records, set_cookie_headers, with_members
from flask import make_response

from flask_consent import Cookie, Purpose
from flask_consent.recording import checked_user_id
from flask_consent.store import SQLStore

flask_login = pytest.importorskip("flask_login")


def test_a_refused_cookie_is_blocked_whatever_expiry_it_also_carries(sqlite_url: str, tmp_path: Any) -> None:  # C6
    """A browser keeps a cookie by its last valid ``Max-Age`` whatever its ``Expires`` says (RFC 6265 5.3):
    an ``Expires`` in 1970 beside a positive ``Max-Age`` is no deletion, and neither is ``Max-Age=0`` followed
    by another ``Max-Age``."""
    app = build_app(sqlite_url, str(tmp_path / "i"))

    @app.get("/set")
    def set_them() -> Any:
        response = make_response("ok")
        response.set_cookie("_shop_analytics", "id123", max_age=3600, expires=0)  # "session cookie" elsewhere
        response.headers.add("Set-Cookie", "recs_seen=abc; Max-Age=0; Max-Age=86400; Path=/")
        response.headers.add("Set-Cookie", "recs_a=1; Max-Age=x; Expires=Thu, 01 Jan 2099 00:00:00 GMT")
        return response

    @app.get("/delete")
    def delete_them() -> Any:
        response = make_response("ok")
        response.delete_cookie("_shop_analytics")
        response.headers.add("Set-Cookie", "recs_seen=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/")
        response.headers.add("Set-Cookie", "recs_a=; Max-Age=86400; Max-Age=0; Path=/")
        response.headers.add("Set-Cookie", "recs_b=; Max-Age=-1; Path=/")
        return response

    client = app.test_client()
    assert set_cookie_headers(client.get("/set")) == []
    assert client.get_cookie("_shop_analytics") is None and client.get_cookie("recs_seen") is None
    kept = [h.split("=", 1)[0] for h in set_cookie_headers(client.get("/delete"))]
    assert kept == ["_shop_analytics", "recs_seen", "recs_a", "recs_b"]  # real deletions still go through


def test_an_expiry_a_browser_reads_as_future_or_ignores_is_no_deletion(sqlite_url: str, tmp_path: Any) -> None:  # C6
    """Browsers read cookie dates by RFC 6265 (5.1.1), not as Python does: a two-digit year 69 is 2069 there (1969
    in Python), and a year before 1601 makes the whole ``Expires`` ignored (a session cookie that keeps its
    value). Neither may pass the filter as a deletion; a four-digit past date still does."""
    app = build_app(sqlite_url, str(tmp_path / "i"), CONSENT_UNDECLARED_COOKIES="block")

    @app.get("/set")
    def set_them() -> Any:
        response = make_response("ok")
        response.headers.add("Set-Cookie", "_ads_id=TRACK1; Path=/; Expires=Thu, 01 Jan 69 00:00:00 GMT")
        response.headers.add("Set-Cookie", "_ads_id2=TRACK2; Path=/; Expires=Mon, 01 Jan 1500 00:00:00 GMT")
        response.headers.add("Set-Cookie", "_ads_id3=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
        response.headers.add("Set-Cookie", "_ads_id4=; Path=/; Expires=Thu, 01-Jan-70 00:00:01 GMT")  # 1970 to both
        response.headers.add("Set-Cookie", "_ads_id5=x; Path=/; Expires=Sat, 01-Jan-50 00:00:01 GMT")  # 2050 to both
        return response

    client = app.test_client()
    choose(client, "reject_all")
    kept = [h.split("=", 1)[0] for h in set_cookie_headers(client.get("/set"))]
    assert kept == ["_ads_id3", "_ads_id4"]


def test_a_declared_cookie_with_a_non_ascii_name_is_filtered(sqlite_url: str, tmp_path: Any) -> None:  # C6
    """werkzeug sends a cookie name as UTF-8 bytes, which a WSGI header holds as latin-1 text: the filter reads
    the name the browser will store, so ``suivi_é`` is matched to the purpose that declares it."""
    purposes = [*shop_purposes(), Purpose("tracking", "Tracking", "Follows visits.", cookies=[Cookie("suivi_é")])]
    app = build_app(sqlite_url, str(tmp_path / "i"), purposes, CONSENT_UNDECLARED_COOKIES="allow")

    @app.get("/set")
    def set_it() -> Any:
        response = make_response("ok")
        response.set_cookie("suivi_é", "visitor-42")
        return response

    client = app.test_client()
    assert set_cookie_headers(client.get("/set")) == []
    choose(client, "save", ("tracking",))
    (header,) = set_cookie_headers(client.get("/set"))
    assert header.encode("latin-1").decode("utf-8").startswith("suivi_é=visitor-42")
    assert client.get_cookie("suivi_é") is not None
    headers = [h.encode("latin-1").decode("utf-8") for h in set_cookie_headers(choose(client, "reject_all"))]
    (expired,) = [h for h in headers if h.startswith("suivi_é=")]  # withdrawn: the browser's cookie goes too
    assert expired.startswith("suivi_é=;") and "Max-Age=0" in expired
    assert client.get_cookie("suivi_é") is None


def test_a_member_signing_in_over_another_members_session_gets_none_of_their_choices(
    db_url: str, tmp_path: Any
) -> None:
    """Flask-Login's ``login_user`` replaces a signed-in member without signing them out. The device's
    decisions were that member's: they are neither recorded for the new member nor kept for them."""
    app = with_members(build_app(db_url, str(tmp_path / "i"), CONSENT_RATE_LIMIT=None))
    shared = app.test_client()
    shared.get("/login/7")
    choose(shared, "accept_all")
    (member_record,) = records(app)

    shared.get("/login/8")  # no sign-out in between
    assert [r for r in records(app) if r.user_id == "8"] == []
    after = shared.get("/consent/state").get_json()
    assert after["banner_due"] is True and after["granted"] == ["necessary"]
    assert shared.get("/consent/history").get_json()["records"] == []
    assert shared.get(f"/consent/receipt/{member_record.id}").status_code == 404

    choose(shared, "reject_all")  # the new member's own choice is theirs, and member 7's record is untouched
    assert [r.granted for r in records(app) if r.user_id == "8"] == [{"necessary": 1}]
    assert [r for r in records(app) if r.user_id == "7"] == [member_record]


def _down_store(tmp_path: Any) -> SQLStore:
    """A real SQLite log that cannot be opened: its folder is gone by the time it is first used."""
    folder = tmp_path / "gone"
    folder.mkdir()
    store = SQLStore(f"sqlite:///{folder / 'consent.db'}")
    folder.rmdir()
    return store


def test_signing_in_while_the_log_is_down_works_and_forgets_decisions_it_cannot_place(
    sqlite_url: str, tmp_path: Any
) -> None:
    """A consent-log outage must not take the shop's sign-in down. Whose decisions the device holds cannot be
    looked up then, so a device holding any becomes a new visitor; a device with none just signs in."""
    app = with_members(build_app(sqlite_url, str(tmp_path / "i"), CONSENT_RATE_LIMIT=None))
    comps = app.extensions["consent"]
    kiosk, fresh = app.test_client(), app.test_client()
    choose(kiosk, "accept_all")
    comps.store = _down_store(tmp_path)
    assert kiosk.get("/login/7").status_code == 200
    assert fresh.get("/login/8").status_code == 200
    state = kiosk.get("/consent/state").get_json()
    assert state["banner_due"] is True and state["granted"] == ["necessary"]
    assert fresh.get("/consent/state").get_json()["banner_due"] is True


def test_a_member_signing_in_over_another_whose_choice_is_still_spooled_inherits_nothing(
    sqlite_url: str, tmp_path: Any
) -> None:
    """Member 7's choice, made during an outage, waits in the spool when member 8 signs in over them (no
    sign-out) after the log is back: the device's decisions are still 7's, never recorded as 8's."""
    app = with_members(build_app(sqlite_url, str(tmp_path / "i"), CONSENT_RATE_LIMIT=None))
    comps = app.extensions["consent"]
    good = comps.store
    kiosk = app.test_client()
    kiosk.get("/login/7")
    comps.store = _down_store(tmp_path)
    choose(kiosk, "save", ("advertising", "analytics"))
    assert [r.user_id for r in comps.spool.records()] == ["7"]
    comps.store = good
    kiosk.get("/login/8")
    state = kiosk.get("/consent/state").get_json()
    assert state["banner_due"] is True and state["granted"] == ["necessary"]
    assert [r for r in records(app) if r.user_id == "8"] == []


def test_a_member_signing_in_again_keeps_their_own_choices(db_url: str, tmp_path: Any) -> None:
    app = with_members(build_app(db_url, str(tmp_path / "i"), CONSENT_RATE_LIMIT=None))
    device = app.test_client()
    device.get("/login/7")
    choose(device, "save", ("analytics",))
    device.get("/login/7")
    assert device.get("/consent/state").get_json()["granted"] == ["necessary", "analytics"]
    assert len(records(app)) == 1


def test_a_member_id_shaped_like_a_hashed_one_never_matches_it(db_url: str, tmp_path: Any) -> None:
    """Ids too long for the log's column are kept as ``sha256:<hex>``: a member whose id is literally that
    text must not become the long-id member (their history, receipts and choices)."""
    long_id = "v" * 200
    lookalike = "sha256:" + hashlib.sha256(long_id.encode()).hexdigest()
    assert checked_user_id(lookalike) != checked_user_id(long_id)
    assert checked_user_id("42") == "42"  # ordinary ids are stored as they are

    app = with_members(build_app(db_url, str(tmp_path / "i"), CONSENT_RATE_LIMIT=None))
    victim = app.test_client()
    victim.get("/login/" + long_id)
    choose(victim, "accept_all")
    (victim_record,) = records(app)

    attacker = app.test_client()
    attacker.get("/login/" + lookalike)
    assert attacker.get("/consent/state").get_json()["granted"] == ["necessary"]
    assert attacker.get("/consent/history").get_json()["records"] == []
    assert attacker.get(f"/consent/receipt/{victim_record.id}").status_code == 404


GPC = {"Sec-GPC": "1"}


@pytest.mark.parametrize("gpc_recorded", ["before sign-in", "at sign-in"])
def test_signing_in_with_gpc_keeps_the_members_choices(db_url: str, tmp_path: Any, gpc_recorded: str) -> None:
    """The refusals a GPC signal makes on its own are no choice of the member's: signing in on a device
    whose only decisions they are adopts the account's choice, and the member's other purposes survive on
    every device. The opt-out itself, once recorded for the member, follows them (the signal's purposes
    only)."""
    app = with_members(build_app(db_url, str(tmp_path / "i"), CONSENT_RATE_LIMIT=None))
    laptop = app.test_client()
    laptop.get("/login/7")
    choose(laptop, "save", ("recommendations", "analytics", "advertising"))
    time.sleep(1.1)  # the cookie keeps whole seconds: the phone's GPC record is the newer one
    phone = app.test_client()
    if gpc_recorded == "before sign-in":
        phone.get("/", headers=GPC)
        time.sleep(1.1)
    phone.get("/login/7", headers=GPC)
    state = phone.get("/consent/state", headers=GPC).get_json()
    assert state["granted"] == ["necessary", "recommendations", "analytics"] and state["banner_due"] is False

    other = app.test_client()  # the GPC opt-out, recorded for the member, follows them; nothing else changes
    other.get("/login/7")
    state = other.get("/consent/state").get_json()
    assert state["granted"] == ["necessary", "recommendations", "analytics"] and state["banner_due"] is False


def test_saving_the_same_choice_without_gpc_keeps_a_grant_given_over_it(sqlite_url: str, tmp_path: Any) -> None:
    """An explicit grant made while the signal was on is honoured over it; saving the same ticks again on a
    request without the signal changes nothing (no record) and the grant still holds when the signal is back."""
    app = build_app(sqlite_url, str(tmp_path / "i"), CONSENT_RATE_LIMIT=None)
    client = app.test_client()
    token = client.get("/consent/state", headers=GPC).get_json()["csrf_token"]
    client.post("/consent", data={"csrf_token": token, "action": "save", "purposes": ["advertising"]}, headers=GPC)
    assert "advertising" in client.get("/consent/state", headers=GPC).get_json()["granted"]
    count = len(records(app))
    choose(client, "save", ("advertising",))
    assert len(records(app)) == count
    assert "advertising" in client.get("/consent/state", headers=GPC).get_json()["granted"]
    assert len(records(app)) == count


def test_a_member_signing_in_over_another_with_gpc_on_gets_none_of_their_choices(
    db_url: str, tmp_path: Any
) -> None:
    """The GPC signal is honoured after the device is checked: its record never carries the previous
    member's choices under the new member's id."""
    app = with_members(build_app(db_url, str(tmp_path / "i"), CONSENT_RATE_LIMIT=None))
    shared = app.test_client()
    shared.get("/login/7")
    choose(shared, "save", ("recommendations", "analytics", "location", "advertising"))
    shared.get("/login/8", headers=GPC)
    assert shared.get("/consent/state", headers=GPC).get_json()["granted"] == ["necessary"]
    assert all(set(r.granted) == {"necessary"} for r in records(app) if r.user_id == "8")
    other = app.test_client()
    other.get("/login/8")
    assert other.get("/consent/state").get_json()["granted"] == ["necessary"]


def test_a_newer_choice_on_the_device_still_wins_when_signing_in_with_gpc(db_url: str, tmp_path: Any) -> None:
    app = with_members(build_app(db_url, str(tmp_path / "i"), CONSENT_RATE_LIMIT=None))
    laptop = app.test_client()
    laptop.get("/login/7")
    choose(laptop, "save", ("analytics",))
    time.sleep(1.1)  # the cookie keeps whole seconds: the phone's choice is the newer one
    phone = app.test_client()
    choose(phone, "accept_all")
    time.sleep(1.1)
    phone.get("/login/7", headers=GPC)
    assert phone.get("/consent/state", headers=GPC).get_json()["granted"] == [
        "necessary", "recommendations", "location", "analytics"]


def test_a_gpc_record_after_accept_all_still_counts_as_having_answered_the_banner(
    sqlite_url: str, tmp_path: Any
) -> None:
    first = build_app(sqlite_url, str(tmp_path / "a"), CONSENT_RATE_LIMIT=None)
    client = first.test_client()
    choose(client, "accept_all", scope="due")
    client.get("/", headers=GPC)  # the signal's refusals are recorded
    later = build_app(sqlite_url, str(tmp_path / "b"),
                      [*shop_purposes(), Purpose("social_embeds", "Social embeds", "Live players.")])
    again = later.test_client()
    again.set_cookie("consent", client.get_cookie("consent").value)  # type: ignore[union-attr]
    state = again.get("/consent/state").get_json()
    assert state["due"] == ["social_embeds"] and state["reason"] == "purpose_changed"
