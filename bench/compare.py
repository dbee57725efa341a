"""A revision of flask_consent against the working tree, in one process and one run.

Run by hand (never as a timed test)::

    python bench/compare.py [REV] [--requests 2000] [--rounds 5] [--only hello,call,auto,first,post]

This machine's speed drifts by up to a factor of two within minutes, so a change worth a few microseconds
cannot be seen by comparing two runs of ``overhead.py``. This script loads the package twice: ``REV``
(default ``HEAD``), extracted with ``git archive`` and imported under another name, and the working tree. It
builds the same apps with each and calls them in alternating blocks of 50 beside a bare app, keeping each
side's fastest block per round, as ``overhead.py`` does. It prints the µs each adds to the bare app: hello
world, a page calling ``consent_banner()``, the control auto-injected (a decided visitor each), a first visit,
and a first ``POST /consent`` on SQLite.
"""

from __future__ import annotations

import argparse
import importlib
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

from flask import Flask, render_template
from jinja2 import DictLoader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import writes  # noqa: E402
from overhead import CATEGORIES, PRODUCTS, PURPOSES, SECRET, TEMPLATES, _between, call, environ_for  # noqa: E402

import flask_consent  # noqa: E402


def load_revision(rev: str) -> ModuleType:
    """``rev``'s package, imported as ``flask_consent_<sha>`` (its templates and static files beside it)."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True,
                         text=True).stdout.strip()
    where = Path(tempfile.mkdtemp(prefix="consent-compare-"))
    archive = subprocess.run(["git", "archive", rev, "flask_consent", "templates", "static"], cwd=ROOT,
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    name = f"flask_consent_{sha}"
    (where / "flask_consent").rename(where / name)
    sys.path.insert(0, str(where))
    return importlib.import_module(name)


def purposes(pkg: ModuleType) -> list[Any]:
    """The bench shop's purposes, made with ``pkg``'s own classes."""
    return [
        pkg.Purpose(p.key, p.title, p.description, vendors=list(p.vendors), gcm=list(p.gcm),
                    cookies=[pkg.Cookie(c.pattern, lifetime=c.lifetime) for c in p.cookies],
                    gpc_opt_out=p.gpc_opt_out, refusal_effect=p.refusal_effect)
        for p in PURPOSES
    ]


def page_app(pkg: ModuleType | None, markup: str = "") -> Flask:
    """The bench shop's page, hello world and (with a package) the extension; a bare app carries ``markup``."""
    instance = tempfile.mkdtemp(prefix="consent-compare-")
    app = Flask(f"compare_{pkg.__name__ if pkg else 'bare'}", instance_path=instance)
    app.config.update(SECRET_KEY=SECRET, CONSENT_DATABASE_URL=f"sqlite:///{instance}/consent.db")
    app.jinja_loader = DictLoader(TEMPLATES)  # type: ignore[assignment,method-assign]
    ctx = {"title": "Everything", "categories": CATEGORIES, "products": PRODUCTS}

    @app.get("/")
    def page() -> str:
        return render_template("page_static.html", static_markup=markup, **ctx)

    @app.get("/call")
    def page_call() -> str:
        if pkg is None:
            return render_template("page_static.html", static_markup=markup, **ctx)
        return render_template("page_call.html", **ctx)

    @app.get("/hello")
    def hello() -> str:
        return "Hello, world!"

    if pkg is not None:
        pkg.Consent(app, purposes=purposes(pkg))
    return app


def decided_cookie(app: Flask, pkg: ModuleType) -> str:
    """A consent cookie accepting every purpose, as ``pkg`` writes it for ``app``."""
    comps = app.extensions["consent"]
    undecided = importlib.import_module(f"{pkg.__name__}.state").undecided
    with app.test_request_context("/"):
        state = undecided(comps.registry, comps.policy_version, comps.max_age).apply(
            "accept_all", method="banner_accept_all", record_id="benchrecord0001")
        return f"{comps.cookie_name}={comps.codec.dumps(state)}"


def post_side(pkg: ModuleType) -> tuple[Flask, dict[str, Any], bytes]:
    """An app whose every ``POST /consent`` is a new visitor's first choice (one record each)."""
    instance = tempfile.mkdtemp(prefix="consent-compare-")
    app = Flask(f"compare_post_{pkg.__name__}", instance_path=instance)
    app.config.update(SECRET_KEY=SECRET, CONSENT_DATABASE_URL=f"sqlite:///{instance}/consent.db",
                      CONSENT_RATE_LIMIT=None, CONSENT_IP_HASH_KEY="bench-ip-hash-key-0123456789abcdef0123")
    pkg.Consent(app, purposes=purposes(pkg))
    app.extensions["consent"].store.init_db()
    cookie, token = writes.csrf_cookie_and_token(app)
    body = urlencode({**writes.FORM, "csrf_token": token}).encode()
    return app, writes.environ("/consent", body, cookie), body


def timed(side: tuple[Flask, dict[str, Any], bytes | None], n: int) -> float:
    app, environ, body = side
    start = time.perf_counter()
    for _ in range(n):
        if body is None:
            call(app, environ)
        else:
            writes.post(app, environ, body)
    return time.perf_counter() - start


def compare(label: str, sides: dict[str, tuple[Flask, dict[str, Any], bytes | None]], n: int, rounds: int) -> None:
    block = 50
    for side in sides.values():
        timed(side, 100)
    per: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for r in range(rounds):
        best = {name: float("inf") for name in sides}
        for i in range(max(1, n // block)):
            shift = (i + r) % len(names)
            for name in names[shift:] + names[:shift]:
                best[name] = min(best[name], timed(sides[name], block))
        for name in sides:
            per[name].append(best[name] / block * 1e6)
    bare = statistics.median(per["bare"])
    added = "  ".join(
        f"{name} +{statistics.median(a - b for a, b in zip(per[name], per['bare'], strict=True)):.1f} µs"
        for name in names[1:]
    )
    print(f"{label:<6} bare {bare:6.1f} µs   {added}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rev", nargs="?", default="HEAD")
    parser.add_argument("--requests", type=int, default=2000, help="calls per side per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="hello,call,auto,first,post")
    args = parser.parse_args()
    old = load_revision(args.rev)
    versions = {args.rev: old, "working tree": flask_consent}
    print(f"Python {sys.version.split()[0]}; µs each adds to the bare app (median over {args.rounds} rounds)")
    pages = {name: page_app(pkg) for name, pkg in versions.items()}
    cookies = {name: decided_cookie(app, versions[name]) for name, app in pages.items()}
    for scenario in args.only.split(","):
        if scenario == "post":
            sides: dict[str, Any] = {name: post_side(pkg) for name, pkg in versions.items()}
            app, environ, body = next(iter(sides.values()))
            engine = app.extensions["consent"].store.engine
            sides = {"bare": (writes.bare_app(engine, tempfile.mkdtemp()), {**environ, "PATH_INFO": "/bare"}, body),
                     **sides}
            compare(scenario, sides, args.requests // 2, args.rounds)
            continue
        path, decided = {"hello": ("/hello", True), "call": ("/call", True), "auto": ("/", True),
                         "first": ("/", False)}[scenario]
        sides = {name: (app, environ_for(path, cookies[name] if decided else None), None)
                 for name, app in pages.items()}
        body_of_new = call(pages["working tree"], sides["working tree"][1])
        markup = "" if scenario == "hello" else _between(body_of_new).decode()
        sides = {"bare": (page_app(None, markup), environ_for(path, cookies["working tree"] if decided else None),
                          None), **sides}
        compare(scenario, sides, args.requests, args.rounds)


if __name__ == "__main__":
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", line_buffering=True)
    main()
