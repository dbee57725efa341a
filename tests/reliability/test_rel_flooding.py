"""Bots cannot grow the log without bound: unchanged choices write nothing, and a rate limit answers 429.

(Retention, ``flask consent purge``, is tested with the rest of the CLI.)"""

from __future__ import annotations

import pytest
from conftest import build_app, choose, csrf_token, record_count


def test_repeating_an_unchanged_choice_writes_nothing(app, client):  # C14
    token = csrf_token(client)
    for _ in range(25):
        assert client.post("/consent", json={"action": "reject_all"}, headers={"X-CSRFToken": token}).status_code == 200
    assert record_count(app) == 1


def test_rate_limit_answers_429_with_retry_after_and_writes_nothing(sqlite_url, tmp_path):
    app = build_app(sqlite_url, str(tmp_path / "instance"), CONSENT_RATE_LIMIT="5/minute")
    client = app.test_client()
    statuses = [choose(client, ("accept_all", "reject_all")[i % 2]).status_code for i in range(8)]
    assert statuses == [303] * 5 + [429] * 3
    assert record_count(app) == 5
    token = csrf_token(client)
    r = client.post("/consent", json={"action": "accept_all"}, headers={"X-CSRFToken": token})
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 61
    assert r.get_json()["error"] == "rate_limited"
    form = choose(client, "reject_all")
    assert form.status_code == 429 and int(form.headers["Retry-After"]) >= 1
    assert client.get("/consent/state").status_code == 200, "reading the state is not limited"
    other = app.test_client()
    elsewhere = {"REMOTE_ADDR": "192.0.2.7"}
    token = other.get("/consent/state", environ_base=elsewhere).get_json()["csrf_token"]
    r = other.post("/consent", json={"action": "accept_all"}, headers={"X-CSRFToken": token}, environ_base=elsewhere)
    assert r.status_code == 200, "the limit is per client"
    assert record_count(app) == 6


def test_rate_limit_is_on_by_default(sqlite_url, tmp_path):
    app = build_app(sqlite_url, str(tmp_path / "instance"))
    assert app.config["CONSENT_RATE_LIMIT"] == "30/minute"
    assert app.extensions["consent"].limiter is not None


@pytest.mark.parametrize("off", [None, False, ""])
def test_rate_limit_can_be_turned_off(sqlite_url, tmp_path, off):
    app = build_app(sqlite_url, str(tmp_path / "instance"), CONSENT_RATE_LIMIT=off)
    assert app.extensions["consent"].limiter is None
    client = app.test_client()
    assert all(choose(client, ("accept_all", "reject_all")[i % 2]).status_code == 303 for i in range(35))


