"""Concurrent writers for the concurrency tests (importable by spawned processes)."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask


def post_choices(app: Flask, visitors: int, shared: int, posts: int) -> list[str]:
    """``visitors`` threads with a visitor each and ``shared`` threads acting as one visitor on several tabs,
    each posting ``posts`` alternating choices; returns the record id of every successful answer.

    Raises when any answer is neither 200 nor a refusal, so a 5xx fails the test.
    """
    seed = app.test_client()
    token = seed.get("/consent/state").get_json()["csrf_token"]
    first = seed.post("/consent", json={"action": "reject_all"}, headers={"X-CSRFToken": token})
    assert first.status_code == 200, first.status_code
    ids = [first.get_json()["record_id"]]
    shared_cookie = seed.get_cookie("consent").value
    lock = threading.Lock()
    errors: list[str] = []

    def run(same_visitor: bool) -> None:
        client = app.test_client()
        if same_visitor:
            client.set_cookie("consent", shared_cookie)
        csrf = client.get("/consent/state").get_json()["csrf_token"]
        for i in range(posts):
            action = ("accept_all", "reject_all")[i % 2]
            r = client.post("/consent", json={"action": action}, headers={"X-CSRFToken": csrf})
            if r.status_code != 200:
                with lock:
                    errors.append(f"{r.status_code}: {r.get_data(as_text=True)[:200]}")
                return
            with lock:
                ids.append(r.get_json()["record_id"])

    threads = [threading.Thread(target=run, args=(False,)) for _ in range(visitors)]
    threads += [threading.Thread(target=run, args=(True,)) for _ in range(shared)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
        assert not t.is_alive(), "a writer thread hung (deadlock?)"
    assert not errors, errors
    return ids


def post_choices_in_process(instance: str, db_url: str, visitors: int, shared: int, posts: int, out: Any) -> None:
    from outage import replay_app

    app = replay_app(instance, db_url, CONSENT_RATE_LIMIT=None)
    out.put(post_choices(app, visitors, shared, posts))
