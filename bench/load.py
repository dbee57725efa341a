"""Load test: gunicorn with several workers on PostgreSQL, page views and consent posts mixed.

    CONSENT_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/load.py --duration 60 --workers 4 --threads 2 --clients 12

Starts gunicorn on a loopback port with an app on a private PostgreSQL schema (dropped afterwards), drives it
with ``--clients`` keep-alive visitors for ``--duration`` seconds (closed loop: each visitor sends its next
request when the last one is answered, so the rate found is the highest the machine holds), then checks that
there was no 5xx and that the consent log holds exactly one record per successful consent post. Prints
requests/s and p50/p99 latencies, and exits non-zero when a check fails. Loopback only; every step is bounded.

The rate limit is off here: all visitors come from 127.0.0.1, and the point is the write path under load.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head><body>
<header><a href="/">Shop</a></header><main><h1>{{ title }}</h1>
{% for i in range(40) %}<article><h2>Product {{ i }}</h2><p>A fine thing, {{ i * 7 }} HKD.</p></article>{% endfor %}
</main></body></html>"""


def create_app() -> Any:
    """The app gunicorn serves: the extension with shop-like purposes on ``LOAD_DATABASE_URL``."""
    from flask import Flask, render_template_string

    from flask_consent import Consent, Purpose

    app = Flask("load", instance_path=os.environ["LOAD_INSTANCE"])
    app.config.update(SECRET_KEY=os.environ["LOAD_SECRET"], CONSENT_DATABASE_URL=os.environ["LOAD_DATABASE_URL"],
                      CONSENT_RATE_LIMIT=None)

    @app.get("/")
    @app.get("/product/<int:n>")
    def page(n: int = 0) -> str:
        return render_template_string(PAGE, title=f"Product {n}" if n else "Shop")

    Consent(app, purposes=[
        Purpose("recommendations", "Personalised recommendations", "Suggestions from what you browse."),
        Purpose("location", "Nearby offers", "Stores and offers near you."),
        Purpose("analytics", "Analytics", "Counts visits.", cookies=["_shop_analytics"]),
        Purpose("advertising", "Advertising", "Marketing.", cookies=["_ads_*"], gpc_opt_out=True),
        Purpose("third_party_sharing", "Sharing with partners", "Partners' own offers.", gpc_opt_out=True),
    ])
    return app


class Visitor:
    """One browser: a keep-alive connection and a cookie jar."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.token: str | None = None
        self.flip = False

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=h)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (TimeoutError, http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt or method != "GET":
                    return 0, b""  # a lost answer: never resend a POST (it may have been recorded)
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response.status, data


def _drive(port: int, clients: int, until: float, post_share: float, out: Any) -> None:
    """Run ``clients`` visitors in threads until ``until``; put (kind, status, seconds) samples on ``out``."""
    samples: list[tuple[str, int, float]] = []
    lock = threading.Lock()

    def visitor_loop(seed: int) -> None:
        rng = random.Random(seed)
        v = Visitor(port)
        local: list[tuple[str, int, float]] = []
        while time.monotonic() < until:
            if rng.random() < post_share:
                if v.token is None:
                    status, body = v.request("GET", "/consent/state")
                    v.token = json.loads(body)["csrf_token"] if status == 200 else None
                    if v.token is None:
                        local.append(("state", status, 0.0))
                        continue
                v.flip = not v.flip
                payload = json.dumps({"action": "accept_all" if v.flip else "reject_all"}).encode()
                t0 = time.perf_counter()
                status, _ = v.request("POST", "/consent", payload,
                                      {"Content-Type": "application/json", "X-CSRFToken": v.token})
                local.append(("post", status, time.perf_counter() - t0))
            else:
                t0 = time.perf_counter()
                status, _ = v.request("GET", f"/product/{rng.randrange(1, 500)}")
                local.append(("page", status, time.perf_counter() - t0))
        v.conn.close()
        with lock:
            samples.extend(local)

    threads = [threading.Thread(target=visitor_loop, args=(random.randrange(1 << 30),)) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(until - time.monotonic() + 60)
    out.put(samples)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited before it was ready")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 30 s")


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000 if len(values) > 1 else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--clients", type=int, default=12, help="concurrent keep-alive visitors")
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    parser.add_argument("--post-share", type=float, default=0.2, help="share of requests that are consent posts")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))  # run from a checkout without installing
    base = os.environ.get("CONSENT_BENCH_DATABASE_URL") or os.environ.get("CONSENT_TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        raise SystemExit("Set CONSENT_TEST_DATABASE_URL (or CONSENT_BENCH_DATABASE_URL) to a PostgreSQL URL.")
    schema = f"load_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    port = _free_port()
    proc: subprocess.Popen[bytes] | None = None
    try:
        with tempfile.TemporaryDirectory() as instance:
            env = dict(os.environ, LOAD_DATABASE_URL=url, LOAD_INSTANCE=instance, LOAD_SECRET=uuid.uuid4().hex * 2,
                       PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'bench'}")
            from flask_consent.spool import Spool
            from flask_consent.store import SQLStore

            SQLStore(url).init_db()
            gunicorn = [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-k", "gthread",
                        "--threads", str(args.threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                        "--keep-alive", "30", "load:create_app()"]
            proc = subprocess.Popen(gunicorn, env=env, cwd=ROOT / "bench")
            _wait_ready(port, proc)

            ctx = multiprocessing.get_context("fork")
            out = ctx.Queue()
            per_process = max(1, args.clients // args.processes)
            started = time.monotonic()
            until = started + args.duration
            drivers = [ctx.Process(target=_drive, args=(port, per_process, until, args.post_share, out))
                       for _ in range(args.processes)]
            for d in drivers:
                d.start()
            samples: list[tuple[str, int, float]] = []
            for _ in drivers:
                samples += out.get(timeout=args.duration + 120)
            elapsed = time.monotonic() - started
            for d in drivers:
                d.join(30)
            spool = Spool(instance)
            spooled = len(spool.records())
            if spooled:
                spool.replay(SQLStore(url))  # an outage under load would show here, and must not lose a record
            records = SQLStore(url).count()
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    timed = [s for s in samples if s[0] in ("page", "post")]
    latencies = [s[2] for s in timed]
    posts_ok = sum(1 for kind, status, _ in samples if kind == "post" and status == 200)
    errors = sum(1 for _, status, _ in samples if status >= 500)
    figures: dict[str, Any] = {
        "duration_s": round(elapsed, 1),
        "workers": args.workers, "threads": args.threads, "clients": per_process * args.processes,
        "requests": len(timed),
        "requests_per_s": round(len(timed) / elapsed, 1),
        "p50_ms": round(_pct(latencies, 50), 2), "p99_ms": round(_pct(latencies, 99), 2),
        "page_views": sum(1 for s in timed if s[0] == "page"),
        "page_p50_ms": round(_pct([s[2] for s in timed if s[0] == "page"], 50), 2),
        "page_p99_ms": round(_pct([s[2] for s in timed if s[0] == "page"], 99), 2),
        "consent_posts_ok": posts_ok,
        "post_p50_ms": round(_pct([s[2] for s in timed if s[0] == "post"], 50), 2),
        "post_p99_ms": round(_pct([s[2] for s in timed if s[0] == "post"], 99), 2),
        "http_5xx": errors,
        "other_non_2xx": sum(1 for _, status, _ in samples if 300 <= status < 500),
        "lost_answers": sum(1 for _, status, _ in samples if status == 0),
        "records": records,
        "spooled_during_run": spooled,
        "cpus": os.cpu_count(),
    }
    lost_posts = sum(1 for kind, status, _ in samples if kind == "post" and status == 0)
    ok = errors == 0 and lost_posts == 0 and records == posts_ok
    figures["ok"] = ok
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:>18}: {value}")
        print("PASS: zero 5xx, records == successful posts" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
