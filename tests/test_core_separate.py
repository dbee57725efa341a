"""Sensitive purposes (``Purpose(separate=True)``) get their own consent, never a bundled one (C25)."""

from __future__ import annotations

import pytest
from conftest import build_app, choose, csrf_token, shop_purposes

from flask_consent import ConfigurationError, Purpose


@pytest.fixture
def sep_client(sqlite_url, tmp_path):
    purposes = [p for p in shop_purposes() if p.key != "location"]
    purposes.append(Purpose("location", "Nearby offers", "Stores near you.", separate=True, why="To find stores."))
    return build_app(sqlite_url, str(tmp_path / "inst"), purposes).test_client()


def test_separate_purpose_is_not_in_the_banner_but_is_named(sep_client):  # C25, C10
    html = sep_client.get("/").get_data(as_text=True)
    banner = html[html.index('id="consent-banner"'):]
    assert 'value="location"' not in banner
    assert "Asked separately, only when you use them: Nearby offers" in banner


def test_accept_all_leaves_separate_purpose_refused_and_the_banner_done(sep_client):  # C25
    choose(sep_client, "accept_all", scope="due")
    state = sep_client.get("/consent/state").get_json()
    assert "location" not in state["granted"] and state["banner_due"] is False
    assert sep_client.get("/nearby").status_code == 403
    choose(sep_client, "grant", ("location",))
    assert sep_client.get("/nearby").status_code == 200


def test_preferences_tick_grants_separate_purpose_explicitly(sep_client):  # C25
    html = sep_client.get("/consent/preferences").get_data(as_text=True)
    assert 'value="location"' in html
    choose(sep_client, "save", ("location",))
    assert sep_client.get("/granted/location").get_data(as_text=True) == "True"


def test_required_purpose_cannot_be_separate():
    with pytest.raises(ConfigurationError, match="both required and separate"):
        Purpose("necessary", required=True, separate=True)


@pytest.mark.parametrize("purpose", ["location"])
def test_a_just_in_time_grant_on_a_first_visit_keeps_the_first_visit_text(client, purpose):
    """Allowing location through its prompt on a first visit is not a change of what the shop does: the
    banner still greets the visitor as new, not "... has changed, so we are asking again"."""
    token = csrf_token(client)
    r = client.post("/consent", json={"action": "grant", "purposes": [purpose]}, headers={"X-CSRFToken": token})
    assert r.status_code == 200
    state = client.get("/consent/state").get_json()
    assert state["banner_due"] is True and state["reason"] == "first_visit"
    page = client.get("/").get_data(as_text=True)
    assert 'data-reason="first_visit"' in page and "has changed" not in page
