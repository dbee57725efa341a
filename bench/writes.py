"""Throughput of ``POST /consent`` with the full stack, against a bare Flask endpoint writing the same row.

Run by hand (never as a timed test)::

    python bench/writes.py [--posts 1500] [--rounds 5] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

Both apps are called straight through WSGI (no network), one request after another, on the same database
and the same SQLAlchemy engine: SQLite in a temporary file (WAL, as the extension sets it up) and, when a
PostgreSQL URL is given (``--pg``, else ``CONSENT_BENCH_DATABASE_URL`` or ``CONSENT_TEST_DATABASE_URL``), a
private schema created for the run and dropped afterwards. Every full-stack post is a new visitor's first
choice (a valid CSRF token, no consent cookie), so each one writes exactly one record; the bare endpoint
reads the same form and inserts one row of the same shape in one transaction. The sides alternate in blocks of
50 posts; the figure is the median over rounds of the full stack's rate divided by the bare rate, each from
the side's fastest block of the round. It also counts the SQL statements each full-stack post runs (target: one INSERT).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Flask, request

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_consent import Consent  # noqa: E402
from flask_consent.state import new_id  # noqa: E402
from flask_consent.store import SQLStore, records  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from overhead import PURPOSES, SECRET  # noqa: E402

FORM = {"action": "accept_all", "scope": "due", "next": "/"}


def full_app(db_url: str, instance: str) -> Flask:
    app = Flask("bench_writes_full", instance_path=instance)
    # One client posting thousands of choices: the per-client rate limit is switched off for the benchmark.
    app.config.update(SECRET_KEY=SECRET, CONSENT_DATABASE_URL=db_url, CONSENT_RATE_LIMIT=None,
                      CONSENT_IP_HASH_KEY="bench-ip-hash-key-0123456789abcdef0123")
    Consent(app, purposes=PURPOSES)
    return app


def bare_app(engine: sa.engine.Engine, instance: str) -> Flask:
    """One endpoint reading the same form and inserting one consent row, nothing else."""
    app = Flask("bench_writes_bare", instance_path=instance)
    app.config.update(SECRET_KEY=SECRET)
    granted = json.dumps({p.key: p.version for p in PURPOSES} | {"necessary": 1}, separators=(",", ":"),
                         sort_keys=True)

    @app.post("/bare")
    def bare() -> tuple[str, int, dict[str, str]]:
        record_id = new_id(16)
        row = {
            "id": record_id, "consent_id": record_id, "subject_id": record_id, "user_id": None,
            "created_at": datetime.now(timezone.utc), "policy_version": "1", "banner_hash": "0" * 64,
            "granted": granted, "denied": "{}", "method": "banner_" + request.form["action"],
            "previous_id": None, "locale": "en", "gpc": False, "ip_hash": None, "ua_family": "Chrome",
        }
        with engine.begin() as conn:
            conn.execute(records.insert(), [row])
        return "", 303, {"Location": request.form.get("next") or "/"}

    return app


def environ(path: str, body: bytes, cookie: str) -> dict[str, Any]:
    from werkzeug.test import EnvironBuilder

    env = EnvironBuilder(
        path=path, method="POST", data=body, content_type="application/x-www-form-urlencoded",
        headers={"Cookie": cookie, "Accept": "text/html", "User-Agent": "Mozilla/5.0 Chrome/120.0"},
    ).get_environ()
    env.pop("wsgi.input")
    return env


def post(app: Flask, env: dict[str, Any], body: bytes) -> None:
    status: list[str] = []

    def start_response(s: str, h: Any, exc_info: Any = None) -> Any:
        status.append(s)
        return lambda _b: None

    e = dict(env)
    e["wsgi.input"] = io.BytesIO(body)
    result = app(e, start_response)
    b"".join(result)
    if hasattr(result, "close"):
        result.close()
    if not status[0].startswith("303"):
        raise SystemExit(f"POST {env['PATH_INFO']} answered {status[0]}")


def csrf_cookie_and_token(app: Flask) -> tuple[str, str]:
    """The consent forms' CSRF cookie and a token for it, as the banner's form would carry them."""
    client = app.test_client()
    token = client.get("/consent/state").get_json()["csrf_token"]
    cookie = client.get_cookie("consent_csrf")
    assert cookie is not None
    return f"consent_csrf={cookie.value}", token


def measure(db_url: str, label: str, posts: int, rounds: int, block: int = 50) -> None:
    tmp = tempfile.mkdtemp(prefix="consent-bench-writes-")
    full = full_app(db_url, tmp)
    store = full.extensions["consent"].store
    assert isinstance(store, SQLStore)
    store.init_db()
    bare = bare_app(store.engine, tmp)
    cookie, token = csrf_cookie_and_token(full)
    body = urlencode({**FORM, "csrf_token": token}).encode()
    env_full = environ("/consent", body, cookie)
    env_bare = environ("/bare", body, cookie)

    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    before = store.count()
    sa.event.listen(store.engine, "before_cursor_execute", count)
    post(full, env_full, body)
    per_post = list(statements)
    assert store.count() == before + 1, "a full-stack post must write exactly one record"
    sa.event.remove(store.engine, "before_cursor_execute", count)

    for _ in range(50):  # warm up both
        post(full, env_full, body)
        post(bare, env_bare, body)
    ratios: list[float] = []
    rates: list[tuple[float, float]] = []
    for r in range(rounds):
        # Each side's fastest block of the round: noise from the rest of the machine (and the disk) only ever
        # adds time, and alternating means a quiet spell serves both sides.
        best = [float("inf"), float("inf")]
        for i in range(max(1, posts // block)):
            for side in ((0, 1) if (i + r) % 2 else (1, 0)):
                app, env = (full, env_full) if side == 0 else (bare, env_bare)
                start = time.perf_counter()
                for _ in range(block):
                    post(app, env, body)
                best[side] = min(best[side], time.perf_counter() - start)
        rates.append((block / best[0], block / best[1]))
        ratios.append(best[1] / best[0])
    full_rate = statistics.median(r[0] for r in rates)
    bare_rate = statistics.median(r[1] for r in rates)
    ratio = statistics.median(ratios)
    ok = "yes" if ratio >= 0.6 else "NO"
    print(f"{label:<11} full stack {full_rate:7.0f} posts/s, bare insert {bare_rate:7.0f} posts/s, "
          f"ratio {ratio:.3f}× (≥ 0.60×: {ok}); statements per post: {', '.join(per_post)}")
    store.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1500, help="posts per side per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pg", default=os.environ.get("CONSENT_BENCH_DATABASE_URL")
                        or os.environ.get("CONSENT_TEST_DATABASE_URL"), help="PostgreSQL URL (optional)")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {args.posts} posts × {args.rounds} rounds per side")
    tmp = tempfile.mkdtemp(prefix="consent-bench-sqlite-")
    measure(f"sqlite:///{tmp}/consent.db", "SQLite", args.posts, args.rounds)
    if not args.pg:
        print("PostgreSQL: skipped (pass --pg URL or set CONSENT_TEST_DATABASE_URL)")
        return
    schema = f"bench_writes_{uuid.uuid4().hex[:10]}"
    assert re.fullmatch(r"[a-z0-9_]+", schema)
    admin = sa.create_engine(args.pg)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in args.pg else "?"
        measure(f"{args.pg}{sep}options=-csearch_path%3D{schema}", "PostgreSQL", args.posts, args.rounds)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
