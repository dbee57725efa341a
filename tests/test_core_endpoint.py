"""Issue 2, items 4 and 6: ``POST /consent`` (form and JSON), the JSON views, and the consent log."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from conftest import choose, csrf_token, record_count
from core_util import cookie_of, ext, records

from flask_consent import consent_changed

OPTIONAL = ["recommendations", "location", "analytics", "advertising", "third_party_sharing"]


def _granted(client) -> list[str]:
    return client.get("/consent/state").get_json()["granted"]


ACTIONS = [
    ("accept_all", (), ["necessary", *OPTIONAL]),
    ("reject_all", (), ["necessary"]),
    ("save", ("analytics", "location"), ["necessary", "location", "analytics"]),
    ("grant", ("location",), ["necessary", "location"]),
]


def test_every_action_as_a_form_post(app):  # C14, C32
    for n, (action, purposes, expected) in enumerate(ACTIONS, start=1):
        client = app.test_client()
        response = choose(client, action, purposes, next="/other?page=2")
        assert response.status_code == 303 and response.headers["Location"] == "/other?page=2", action
        assert _granted(client) == expected, action
        assert record_count(app) == n, action


def test_grant_leaves_other_decisions_as_they_are(client):
    choose(client, "save", ("analytics",))
    choose(client, "grant", ("location",))
    assert _granted(client) == ["necessary", "location", "analytics"]


def test_json_post_with_header_token_returns_state(client, app):
    token = csrf_token(client)
    response = client.post("/consent", json={"action": "save", "purposes": ["analytics"], "scope": "all"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["granted"] == ["necessary", "analytics"] and body["decided"] and not body["banner_due"]
    assert body["record_id"] == records(app)[0].id
    assert cookie_of(client)


def test_json_post_without_header_token_is_refused(client, app):
    token = csrf_token(client)
    response = client.post("/consent", json={"action": "accept_all", "csrf_token": token})
    assert response.status_code == 400 and response.get_json()["error"] == "csrf"
    assert record_count(app) == 0 and cookie_of(client) is None


def test_form_post_without_csrf_is_400_and_writes_nothing(client, app):
    client.get("/")
    response = client.post("/consent", data={"action": "accept_all", "next": "/"})
    assert response.status_code == 400
    assert record_count(app) == 0 and cookie_of(client) is None
    assert "session expired" in response.get_data(as_text=True)


def test_form_post_with_a_bad_csrf_token_is_400(client, app):
    csrf_token(client)
    response = client.post("/consent", data={"action": "accept_all", "csrf_token": "forged"})
    assert response.status_code == 400 and record_count(app) == 0


BAD_CHOICES = [
    {"action": "save", "purposes": ["analytics", "mind_reading"]},
    {"action": "grant", "purposes": ["nope"]},
    {"action": "save", "purposes": "analytics"},
    {"action": "save", "purposes": [1, 2]},
    {"action": "delete_everything"},
    {"action": "accept_all", "scope": "some"},
    {"action": "grant", "purposes": []},
    ["accept_all"],
]


def test_bad_choices_are_400_with_a_message_and_write_nothing(client, app):
    token = csrf_token(client)
    for body in BAD_CHOICES:
        response = client.post("/consent", json=body, headers={"X-CSRFToken": token})
        assert response.status_code == 400, body
        assert response.get_json()["message"], body
    assert record_count(app) == 0 and cookie_of(client) is None


def test_unknown_purpose_in_a_form_post_is_400(client, app):
    response = choose(client, "save", ("analytics", "<script>"))
    assert response.status_code == 400 and "Unknown purposes" in response.get_data(as_text=True)
    assert "<script>" not in response.get_data(as_text=True)
    assert record_count(app) == 0


def test_next_to_another_site_is_not_followed(client):
    for target in ("//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
                   "/%2F%2Fevil.example", "evil.example"):
        response = choose(client, "reject_all", next=target)
        assert response.status_code == 303 and response.headers["Location"] == "/", target


def test_two_records_for_two_choices_none_for_a_repeat(client, app):  # C14
    choose(client, "accept_all")
    choose(client, "reject_all")
    choose(client, "reject_all")
    choose(client, "save", ())
    logged = records(app)
    assert [r.method for r in logged] == ["preferences", "preferences"]
    first, second = logged
    assert second.previous_id == first.id and first.previous_id is None
    assert first.subject_id == second.subject_id and first.consent_id == second.consent_id
    assert second.denied == {k: 1 for k in OPTIONAL} and second.granted == {"necessary": 1}


def test_record_fields_and_methods(client, app):  # C14, C15
    token = csrf_token(client)
    client.post("/consent", json={"action": "reject_all", "scope": "due"},
                headers={"X-CSRFToken": token, "X-Consent-Client": "banner"})
    choose(client, "grant", ("location",))
    choose(client, "reject_all", scope="all")
    client.post("/consent", json={"action": "accept_all"}, headers={"X-CSRFToken": token})
    choose(app.test_client(), "accept_all", scope="due")
    choose(app.test_client(), "save", ("analytics",), scope="due")
    logged = records(app)
    assert [r.method for r in logged] == [
        "banner_reject_all", "prompt", "preferences", "api", "banner_accept_all", "banner_custom"]
    for r in logged:
        assert r.policy_version == "1"
        assert len(r.banner_hash) == 64 and r.banner_hash == ext(app).banner_hash("en")
        assert r.locale == "en" and r.gpc is False and r.user_id is None


def test_records_hold_no_raw_ip_and_no_full_user_agent(client, app):  # C16
    ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
    token = csrf_token(client)
    client.post("/consent", data={"csrf_token": token, "action": "accept_all"},
                headers={"User-Agent": ua}, environ_base={"REMOTE_ADDR": "203.0.113.77"})
    engine = ext(app).store.engine
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM consent_records")).mappings().one()
    dumped = json.dumps({k: str(v) for k, v in row.items()})
    assert "203.0.113.77" not in dumped and "Mozilla" not in dumped and "X11" not in dumped
    assert row["ua_family"] == "Chrome" and len(row["ip_hash"]) == 32


def test_log_is_append_only(client, app):  # C14
    choose(client, "accept_all")
    first = records(app)[0]
    choose(client, "reject_all")
    assert records(app)[0] == first


def test_consent_changed_signal(client, app):
    seen = []

    def listener(sender, before, after, record):
        seen.append((before.granted("analytics"), after.granted("analytics"), record.method))

    with consent_changed.connected_to(listener, app):
        choose(client, "save", ("analytics",))
        choose(client, "save", ("analytics",))
    assert seen == [(False, True, "preferences")]


def test_state_json(client):
    body = client.get("/consent/state").get_json()
    assert body["banner_due"] and not body["decided"] and body["reason"] == "first_visit"
    assert body["due"] == OPTIONAL and body["granted"] == ["necessary"] and body["denied"] == []
    assert body["csrf_token"] and body["policy_version"] == "1"
    analytics = next(p for p in body["purposes"] if p["key"] == "analytics")
    assert analytics["cookies"] == [{"name": "_shop_analytics", "lifetime": "13 months"}]
    assert analytics["vendors"] == ["Local Analytics"] and not analytics["granted"]


def test_state_is_a_readable_page_for_a_browser_and_json_for_scripts(client):  # C17
    """The HTTP contract: ``/consent/state`` answers JSON to ``Accept: application/json`` (and to the banner
    script's fetch, which names no type) and a readable HTML page to a browser."""
    choose(client, "save", ("analytics",))
    page = client.get("/consent/state", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert page.headers["Cache-Control"] == "no-store"
    html = " ".join(page.get_data(as_text=True).split())
    assert "<h1>Your current choices</h1>" in html
    assert "<dt>Analytics</dt> <dd>Allowed</dd>" in html and "<dt>Advertising</dt> <dd>Refused</dd>" in html
    assert "csrf" not in html.lower()  # a page to read: no token in it
    chinese = client.get("/consent/state", headers={"Accept": "text/html", "Accept-Language": "zh-HK"})
    assert "你目前的選擇" in chinese.get_data(as_text=True)
    for accept in ("application/json", "*/*", None):
        answer = client.get("/consent/state", headers={"Accept": accept} if accept else {})
        assert answer.is_json and answer.get_json()["granted"] == ["necessary", "analytics"]


def test_a_receipt_that_is_not_the_visitors_is_a_readable_404_for_a_browser(client, app):
    choose(client, "accept_all")
    (record,) = records(app)
    stranger = app.test_client()
    page = stranger.get(f"/consent/receipt/{record.id}", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "There is no such consent record for you." in page.get_data(as_text=True)
    assert record.id not in page.get_data(as_text=True)
    answer = stranger.get(f"/consent/receipt/{record.id}", headers={"Accept": "application/json"})
    assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"


def test_history_lists_own_records_newest_first(client, app):  # C17
    choose(client, "accept_all")
    choose(client, "reject_all")
    stranger = app.test_client()
    choose(stranger, "save", ("location",))
    body = client.get("/consent/history").get_json()
    assert [r["method"] for r in body["records"]] == ["preferences", "preferences"]
    assert body["records"][0]["denied"]["analytics"] == 1 and body["records"][1]["granted"]["analytics"] == 1
    assert {r["subject_id"] for r in body["records"]} == {body["subject_id"]}
    assert app.test_client().get("/consent/history").get_json()["records"] == []
    download = client.get("/consent/history?download=1")
    assert "attachment" in download.headers["Content-Disposition"]


def test_preferences_page_returns_to_next(client):
    html = client.get("/consent/preferences?next=/other").get_data(as_text=True)
    assert 'name="next" value="/other"' in html and 'name="scope" value="all"' in html
    evil = client.get("/consent/preferences?next=//evil.example").get_data(as_text=True)
    assert "evil.example" not in evil


def test_an_app_mounted_under_a_prefix_returns_inside_its_mount(app):  # C32
    from core_util import forms

    base = "http://localhost/shop"
    fresh = app.test_client()
    prompt = fresh.get("/nearby?d=1", base_url=base).get_data(as_text=True)
    (allow,) = forms(prompt)
    assert {i["name"]: i.get("value") for i in allow["inputs"]}["next"] == "/shop/nearby?d=1"

    client = app.test_client()
    (form,) = forms(client.get("/other?page=2", base_url=base).get_data(as_text=True))
    hidden = {i["name"]: i.get("value") for i in form["inputs"] if i.get("type") == "hidden"}
    assert form["attrs"]["action"] == "/shop/consent" and hidden["next"] == "/shop/other?page=2"
    response = client.post("/consent", data={**hidden, "action": "reject_all"}, base_url=base)
    assert response.status_code == 303 and response.headers["Location"] == "/shop/other?page=2"
    response = client.post("/consent", data={**hidden, "action": "accept_all", "next": "//evil.example"},
                           base_url=base)
    assert response.status_code == 303 and response.headers["Location"] == "/shop/"


@pytest.mark.parametrize("accept", [
    None, "", "text/html", "*/*", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/json", "application/json, text/html;q=0.5", "application/*", "application/*;q=0.9, text/*;q=0.1",
    "text/plain", "image/png", "application/xml", "text/html;q=0.1, application/json;q=0.2", "*/*;q=0.1, json",
])
def test_wants_json_agrees_with_the_full_accept_parse(app, accept) -> None:
    """The shortcut for headers that cannot prefer JSON gives what werkzeug's content negotiation gives."""
    from flask import request

    from flask_consent.views import wants_json

    headers = {} if accept is None else {"Accept": accept}
    with app.test_request_context("/consent", method="POST", headers=headers, data={"action": "accept_all"}):
        expected = request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
        assert wants_json() is expected


