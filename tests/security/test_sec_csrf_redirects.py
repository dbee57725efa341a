"""CSRF and origin: forged posts are refused and write nothing; ``next`` never leaves the site."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import unquote

import pytest
from conftest import build_app, choose, csrf_token, record_count
from payloads import OPEN_REDIRECTS, SAME_SITE_ANYWAY

from flask_consent.forms import safe_next


def test_cross_site_form_post_without_token_is_refused(app, client):  # C7, C14
    client.get("/")  # the victim has a session
    r = client.post("/consent", data={"action": "accept_all", "scope": "all", "next": "/"},
                    headers={"Origin": "https://evil.example", "Referer": "https://evil.example/page"})
    assert r.status_code == 400
    assert record_count(app) == 0
    assert client.get_cookie("consent") is None
    assert client.get("/granted/analytics").get_data(as_text=True) == "False"


def test_cross_site_post_without_the_session_cookie_is_refused(app):  # C7, C14
    victim, attacker = app.test_client(), app.test_client()
    token = csrf_token(attacker)
    # SameSite=Lax keeps the victim's session cookie off a cross-site POST: only the attacker's token arrives.
    r = victim.post("/consent", data={"csrf_token": token, "action": "accept_all"},
                    headers={"Origin": "https://evil.example"})
    assert r.status_code == 400 and record_count(app) == 0


def test_json_post_without_token_is_refused(app, client):  # C14
    csrf_token(client)
    r = client.post("/consent", json={"action": "accept_all"})
    assert r.status_code == 400 and r.get_json()["error"] == "csrf"
    assert record_count(app) == 0


def test_json_post_with_token_in_the_body_instead_of_the_header_is_refused(app, client):  # C14
    token = csrf_token(client)
    r = client.post("/consent", json={"action": "accept_all", "csrf_token": token})
    assert r.status_code == 400 and record_count(app) == 0


def test_token_from_another_session_is_refused(app):  # C14
    victim, attacker = app.test_client(), app.test_client()
    csrf_token(victim)
    foreign = csrf_token(attacker)
    form = victim.post("/consent", data={"csrf_token": foreign, "action": "accept_all"})
    as_json = victim.post("/consent", json={"action": "accept_all"}, headers={"X-CSRFToken": foreign})
    assert form.status_code == 400 and as_json.status_code == 400
    assert record_count(app) == 0


def test_consent_cookie_is_httponly_and_samesite(client):
    r = choose(client, "reject_all")
    header = next(v for v in r.headers.getlist("Set-Cookie") if v.startswith("consent="))
    assert "HttpOnly" in header and "SameSite=Lax" in header


@pytest.fixture(scope="module")
def shared_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One SQLite app for the payload tables (the database plays no part in where a redirect goes)."""
    tmp = tmp_path_factory.mktemp("redirects")
    return build_app(f"sqlite:///{tmp / 'consent.db'}", str(tmp / "instance"), CONSENT_RATE_LIMIT=None).test_client()


def test_payload_table_is_long_enough():
    assert len([p for p in OPEN_REDIRECTS if p not in SAME_SITE_ANYWAY]) >= 20


@pytest.mark.parametrize("payload", OPEN_REDIRECTS)
def test_next_refuses_open_redirect_payloads(shared_client, payload):  # C7
    r = choose(shared_client, "reject_all", next=payload)
    assert r.status_code == 303
    expected = payload if payload in SAME_SITE_ANYWAY else "/"
    assert unquote(r.headers["Location"]) == expected
    assert safe_next(payload) == (payload if payload in SAME_SITE_ANYWAY else None)


@pytest.mark.parametrize("payload", [p for p in OPEN_REDIRECTS if p not in SAME_SITE_ANYWAY and p])
def test_back_links_refuse_open_redirect_payloads(shared_client, payload):  # C7
    client = shared_client
    prefs = client.get("/consent/preferences", query_string={"next": payload}).get_data(as_text=True)
    prompt = client.get("/nearby", query_string={"back": payload}).get_data(as_text=True)
    for page in (prefs, prompt):
        links = [html.unescape(h) for h in re.findall(r'href="([^"]*)"', page)]
        assert links and not [h for h in links if "evil" in h or h.lower().startswith("javascript:")], links


@pytest.mark.parametrize("referer", ["http://localhost[", "http://[::1", "http://]evil.example/", "//[", "\x7f"])
def test_malformed_referer_is_ignored_not_a_500(shared_client, referer):  # found by the query-parameter fuzzer
    for path in ("/consent/preferences", "/nearby"):
        r = shared_client.get(path, headers={"Referer": referer})
        assert r.status_code in (200, 403)
        assert 'href="/"' in r.get_data(as_text=True)
