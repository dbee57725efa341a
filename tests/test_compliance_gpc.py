"""Issue 4, item 2: Global Privacy Control on the server (C18-C20)."""

from __future__ import annotations

import re

from conftest import choose, csrf_token, record_count
from core_util import checkbox, forms, records, set_cookie_named, submit

GPC = {"Sec-GPC": "1"}
GPC_KEYS = ("advertising", "third_party_sharing")


def _granted(client, headers=None) -> list[str]:
    return client.get("/consent/state", headers=headers or {}).get_json()["granted"]


def test_gpc_refuses_opt_out_purposes_without_asking(client, app):  # C18
    choose(client, "save", ("analytics",))  # the visitor has decided the rest; advertising is not asked again
    state = client.get("/consent/state", headers=GPC).get_json()
    assert state["gpc"] is True
    for p in state["purposes"]:
        if p["key"] in GPC_KEYS:
            assert p["gpc_honoured"] and not p["granted"] and p["decided"]
    html = client.get("/", headers=GPC).get_data(as_text=True)
    assert 'id="consent-banner"' not in html


def test_banner_says_the_signal_is_honoured_and_offers_explicit_consent(client, app):  # C18, C19
    html = client.get("/", headers=GPC).get_data(as_text=True)
    banner = html[html.index('<section id="consent-banner"'): html.index("</section>")]
    assert banner.count("Opt-out preference signal honoured") == 2
    for key in GPC_KEYS:
        box = checkbox(banner, f"consent-b-{key}")
        assert "checked" not in box and "disabled" not in box
    prefs = client.get("/consent/preferences", headers=GPC).get_data(as_text=True)
    assert prefs.count("Opt-out preference signal honoured") == 2
    for key in GPC_KEYS:
        assert "checked" not in checkbox(prefs, f"consent-p-{key}")
    # Saving the banner without ticking them leaves them refused.
    (form,) = forms(html)
    submit(client, form, "save", tick=("analytics",))
    assert _granted(client, GPC) == ["necessary", "analytics"]


def test_other_header_values_are_ignored(client, app):  # C18
    choose(client, "accept_all")
    for value in ("0", "true", "yes", "11", "1.0", ""):
        assert "advertising" in _granted(client, {"Sec-GPC": value}), value
        assert client.get("/consent/state", headers={"Sec-GPC": value}).get_json()["gpc"] is False, value
    assert record_count(app) == 1


def test_gpc_beats_a_stored_grant_with_exactly_one_record(client, app):  # C19, C14, C6
    choose(client, "accept_all")
    client.set_cookie("_ads_id", "tracking", httponly=True)
    first = client.get("/other", headers=GPC)
    assert "Max-Age=0" in set_cookie_named(first, "_ads_id")[0] and client.get_cookie("_ads_id") is None
    for _ in range(4):
        assert client.get("/", headers=GPC).status_code == 200
        assert client.get("/granted/advertising", headers=GPC).get_data(as_text=True) == "False"
    gpc_records = [r for r in records(app) if r.method == "gpc"]
    assert len(gpc_records) == 1
    (record,) = gpc_records
    assert record.gpc is True and set(record.denied) == set(GPC_KEYS)
    assert record.granted["analytics"] == 1 and record.previous_id == records(app)[0].id


def test_first_gpc_request_writes_one_record_and_the_opt_out_outlives_the_signal(client, app):  # C18, C14, C19
    first = client.get("/", headers=GPC)
    assert "consent=" in " ".join(first.headers.getlist("Set-Cookie"))
    for path in ("/other", "/hello", "/"):
        response = client.get(path, headers=GPC)
        assert "consent=" not in " ".join(response.headers.getlist("Set-Cookie"))
        assert client.get("/granted/advertising", headers=GPC).get_data(as_text=True) == "False"
    (record,) = records(app)
    assert record.method == "gpc" and record.gpc is True and set(record.denied) == set(GPC_KEYS)
    assert "analytics" not in record.denied, "only the GPC purposes are refused by the signal"
    html = client.get("/", headers=GPC).get_data(as_text=True)
    banner = html[html.index('<section id="consent-banner"'):]
    assert "consent-b-analytics" in banner and 'data-reason="first_visit"' in banner
    # The signal disappears: the stored refusals stay, and nothing is asked again for them.
    state = client.get("/consent/state").get_json()
    assert "advertising" in state["denied"] and "advertising" not in state["due"]
    token = csrf_token(client)
    client.post("/consent", data={"csrf_token": token, "action": "accept_all", "scope": "due"})
    last = records(app)[-1]
    assert "analytics" in last.granted and set(GPC_KEYS) <= set(last.denied)


def test_accept_all_does_not_override_gpc(client):  # C19
    client.get("/", headers=GPC)
    token = csrf_token(client)
    client.post("/consent", data={"csrf_token": token, "action": "accept_all"}, headers=GPC)
    assert "advertising" not in _granted(client, GPC) and "analytics" in _granted(client, GPC)


def test_explicit_grant_after_notice_holds_and_is_recorded_with_gpc(client, app):  # C19
    client.get("/", headers=GPC)
    token = csrf_token(client)
    response = client.post("/consent", data={"csrf_token": token, "action": "save", "purposes": ["advertising"]},
                           headers=GPC)
    assert response.status_code == 303
    record = records(app)[-1]
    assert record.gpc is True and record.granted.get("advertising") == 1 and record.method == "preferences"
    count = record_count(app)
    for _ in range(3):
        assert client.get("/granted/advertising", headers=GPC).get_data(as_text=True) == "True"
    assert "third_party_sharing" not in _granted(client, GPC)
    assert record_count(app) == count, "an honoured override is not re-refused on later requests"


def test_json_grant_names_the_purpose_over_gpc(client):  # C19
    client.get("/", headers=GPC)
    token = csrf_token(client)
    body = client.post("/consent", json={"action": "grant", "purposes": ["third_party_sharing"]},
                       headers={**GPC, "X-CSRFToken": token}).get_json()
    assert "third_party_sharing" in body["granted"] and "advertising" not in body["granted"]


def test_signal_that_disappears_is_not_an_opt_in(client, app):  # C19
    choose(client, "accept_all")
    client.get("/", headers=GPC)
    assert "advertising" not in _granted(client)
    assert "advertising" in client.get("/consent/state").get_json()["denied"]
    assert client.get("/granted/advertising").get_data(as_text=True) == "False"
    assert 'id="consent-banner"' not in client.get("/").get_data(as_text=True)


def test_well_known_gpc_json(client):  # C20
    response = client.get("/.well-known/gpc.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["gpc"] is True and re.fullmatch(r"\d{4}-\d{2}-\d{2}", body["lastUpdate"])
