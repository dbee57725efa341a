"""Issue 4, item 1: versions and expiry. Re-ask only what changed; refusals last as long as grants."""

from __future__ import annotations

import dataclasses
import re
import time
from datetime import timedelta

import pytest
from conftest import choose, shop_purposes
from core_util import DAY, cookie_of, payload, records, set_cookie_named, sign

SECRET = "test-secret-key-0123456789abcdef"
OPTIONAL = ["recommendations", "location", "analytics", "advertising", "third_party_sharing"]


def _bumped(key: str, version: int = 2):
    return [dataclasses.replace(p, version=version) if p.key == key else p for p in shop_purposes()]


def _due_checkboxes(html: str) -> list[str]:
    start = html.index('<section id="consent-banner"')
    banner = html[start: html.index("</section>", start)]
    return re.findall(r'id="consent-b-(\w+)"', banner)


def _state(client) -> dict:
    return client.get("/consent/state").get_json()


def test_bumped_purpose_version_re_asks_only_that_purpose(make_app):  # C13
    first = make_app().test_client()
    choose(first, "accept_all", scope="due")
    cookie = cookie_of(first)

    app = make_app(purposes=_bumped("analytics"))
    client = app.test_client()
    client.set_cookie("consent", cookie)
    html = client.get("/").get_data(as_text=True)
    assert _due_checkboxes(html) == ["necessary", "analytics"]
    assert "What we do for some purposes (for example our partners) has changed" in html
    state = _state(client)
    assert state["due"] == ["analytics"] and state["reason"] == "purpose_changed"
    assert state["granted"] == ["necessary", "recommendations", "location", "advertising", "third_party_sharing"]

    choose(client, "reject_all", scope="due")
    state = _state(client)
    assert state["due"] == [] and "analytics" in state["denied"] and "location" in state["granted"]
    record = records(app)[-1]
    assert record.denied == {"analytics": 2} and record.granted["location"] == 1
    assert 'id="consent-banner"' not in client.get("/").get_data(as_text=True)


def test_new_policy_version_asks_for_everything(make_app):  # C13
    first = make_app().test_client()
    choose(first, "accept_all")
    client = make_app(CONSENT_POLICY_VERSION="2").test_client()
    client.set_cookie("consent", cookie_of(first))
    html = client.get("/").get_data(as_text=True)
    assert _due_checkboxes(html) == ["necessary", *OPTIONAL]
    assert "Our privacy policy has changed, so we are asking again." in html
    state = _state(client)
    assert state["granted"] == ["necessary"] and state["reason"] == "policy_changed"


@pytest.mark.parametrize("grant", [1, 0], ids=["grants", "refusals"])
def test_decision_within_max_age_holds_and_is_due_after(client, grant):  # C12, C13
    decisions = {k: [grant, 1] for k in OPTIONAL}
    fresh = time.time() - 150 * DAY
    client.set_cookie("consent", sign(payload(decisions, at=fresh), SECRET, at=fresh))
    assert 'id="consent-banner"' not in client.get("/").get_data(as_text=True)
    assert client.get("/granted/analytics").get_data(as_text=True) == str(bool(grant))

    stale = time.time() - 183 * DAY
    client.set_cookie("consent", sign(payload(decisions, at=stale), SECRET, at=stale))
    html = client.get("/").get_data(as_text=True)
    assert 'id="consent-banner"' in html
    assert "It has been 6 months since you chose, so we are asking again." in html
    assert _due_checkboxes(html) == ["necessary", *OPTIONAL]
    assert _state(client)["reason"] == "expired"
    assert client.get("/granted/analytics").get_data(as_text=True) == "False"


@pytest.mark.parametrize(("days", "language", "told"), [
    (30, "en", "It has been a month since you chose"),
    (14, "en", "It has been 14 days since you chose"),
    (365, "en", "It has been 12 months since you chose"),
    (91, "zh-HK", "距離你上次選擇已有3個月"),
    (10, "zh-CN", "距离你上次选择已有10天"),
])
def test_max_age_is_configurable_and_the_re_ask_says_how_long_it_was(make_app, days, language, told):  # C13
    client = make_app(CONSENT_MAX_AGE=timedelta(days=days)).test_client()
    at = time.time() - (days + 1) * DAY
    client.set_cookie("consent", sign(payload({k: [0, 1] for k in OPTIONAL}, at=at), SECRET, at=at))
    assert _state(client)["reason"] == "expired"
    html = client.get("/", headers={"Accept-Language": language}).get_data(as_text=True)
    assert told in html and "six months" not in html and "六" not in html


def test_refusal_cookie_lives_as_long_as_consent_cookie(make_app):  # C12
    app = make_app()
    accept = set_cookie_named(choose(app.test_client(), "accept_all"), "consent")[0]
    reject = set_cookie_named(choose(app.test_client(), "reject_all"), "consent")[0]
    max_age = re.search(r"Max-Age=(\d+)", accept).group(1)
    assert re.search(r"Max-Age=(\d+)", reject).group(1) == max_age
    assert int(max_age) >= 182 * DAY


def test_answering_the_re_ask_renews_every_decision(client, app):  # C13
    stale = time.time() - 183 * DAY
    client.set_cookie("consent", sign(payload({k: [1, 1] for k in OPTIONAL}, at=stale), SECRET, at=stale))
    choose(client, "reject_all", scope="due")
    assert _state(client)["banner_due"] is False
    assert records(app)[-1].denied == {k: 1 for k in OPTIONAL}


@pytest.mark.parametrize("answer", ["reject_all", "accept_all"])
def test_a_purpose_added_later_is_asked_with_a_reason(make_app, answer):  # C13
    """Whoever answered the banner, with refusals or with "Accept all", is told what changed."""
    from flask_consent import Purpose

    first = make_app().test_client()
    choose(first, answer, scope="due")
    app = make_app(purposes=[*shop_purposes(), Purpose("social_embeds", "Social embeds", "Live players.")])
    client = app.test_client()
    client.set_cookie("consent", cookie_of(first))
    html = client.get("/").get_data(as_text=True)
    assert _due_checkboxes(html) == ["necessary", "social_embeds"]
    assert "What we do for some purposes" in html and _state(client)["reason"] == "purpose_changed"
