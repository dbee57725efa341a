"""Per-request cost of flask_consent, as ratios against a bare Flask app in the same process and run.

Run by hand (never as a timed test)::

    python bench/overhead.py [--requests 4000] [--rounds 7] [--only 1,5]

Each scenario calls the WSGI app directly (no network) ``--requests`` times with the extension and the same
number of times without it, alternating, for ``--rounds`` rounds; the figure is the median of the per-round
ratios (these machines are noisy, so only same-run ratios mean something). The bare page carries the same
static markup the extension would add, so the ratio measures work, not bytes. It also counts the database
statements issued during the page views through SQLAlchemy's ``before_cursor_execute`` event (target: 0).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, render_template
from flask_wtf.csrf import generate_csrf
from jinja2 import DictLoader
from werkzeug.test import EnvironBuilder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_consent import Consent, Cookie, Purpose, consent_required  # noqa: E402
from flask_consent.state import undecided  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef0123456789"

#: The example shop's eight purposes (necessary is added by the extension).
PURPOSES = [
    Purpose("recommendations", "Personalised recommendations", "Suggestions from what you browse and buy.",
            cookies=[Cookie("recs_*", lifetime="30 days")], vendors=["Shop"], gcm=["personalization_storage"],
            refusal_effect="You see bestsellers instead."),
    Purpose("location", "Nearby goods and offers", "Stores and offers near you from your browser's location.",
            refusal_effect="Pick a district by hand instead."),
    Purpose("voice_photo_search", "Voice and photo search", "Search by speaking or by uploading a photo.",
            refusal_effect="Text search stays available."),
    Purpose("analytics", "Analytics", "Counts visits to improve the shop.",
            cookies=[Cookie("_shop_analytics", lifetime="13 months")], vendors=["Local Analytics"],
            gcm=["analytics_storage"]),
    Purpose("advertising", "Advertising", "Ads based on your visits.", cookies=["_ads_*"], vendors=["Ad Partner"],
            gpc_opt_out=True, gcm=["ad_storage", "ad_user_data", "ad_personalization"]),
    Purpose("third_party_sharing", "Sharing with partners", "Partners use your order for their own offers.",
            gpc_opt_out=True, vendors=["Affiliate Co"]),
    Purpose("social_embeds", "Live broadcasts", "Embedded player of our live shows.", vendors=["Live Player"]),
]

#: A shop page of about 10 KB: layout, navigation, a grid of products, a footer.
LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · Bench shop</title><link rel="stylesheet" href="/static/shop.css"></head>
<body><header class="site"><a class="brand" href="/">Bench shop</a><nav><ul>
{%- for c in categories %}<li><a href="/c/{{ c|lower }}">{{ c }}</a></li>{% endfor %}</ul></nav>
<form action="/search" role="search"><input name="q" aria-label="Search"><button>Search</button></form></header>
<main><h1>{{ title }}</h1><ul class="grid">
{%- for p in products %}
<li class="card"><a href="/p/{{ p.id }}"><svg viewBox="0 0 10 10" aria-hidden="true"><rect width="10" height="10"
fill="{{ p.colour }}"/></svg><h2>{{ p.name }}</h2></a><p class="price">HK$ {{ "%.2f"|format(p.price) }}</p>
<p class="blurb">{{ p.blurb }}</p><form method="post" action="/cart/add"><input type="hidden" name="id"
value="{{ p.id }}"><button type="submit">Add to cart</button></form></li>
{%- endfor %}</ul></main>
<footer><p>Bench shop, Hong Kong. <a href="/privacy/policy">Privacy policy</a></p></footer>
{% block banner %}{% endblock %}</body></html>"""

CATEGORIES = ["Tea", "Snacks", "Kitchen", "Stationery", "Garden", "Toys", "Books", "Audio"]
PRODUCTS = [
    {"id": i, "name": f"Product number {i}", "price": 12.5 + i, "colour": f"#{(i * 2654435761) % 0xFFFFFF:06x}",
     "blurb": "A carefully chosen item for everyday life in the city, sold by a small shop that cares."}
    for i in range(22)
]

TEMPLATES = {
    "layout.html": LAYOUT,
    "page.html": '{% extends "layout.html" %}',
    "page_call.html": '{% extends "layout.html" %}{% block banner %}{{ consent_banner() }}{% endblock %}',
    "page_static.html": '{% extends "layout.html" %}{% block banner %}{{ static_markup }}{% endblock %}',
}


def make_app(with_consent: bool, instance: str, db_url: str) -> Flask:
    """The bench shop; ``with_consent`` adds the extension, otherwise pages carry ``static_markup`` as-is."""
    app = Flask(f"bench_{'consent' if with_consent else 'bare'}", instance_path=instance)
    app.config.update(SECRET_KEY=SECRET, CONSENT_DATABASE_URL=db_url)
    app.jinja_loader = DictLoader(TEMPLATES)  # type: ignore[assignment,method-assign]
    app.config["STATIC_MARKUP"] = ""
    ctx = {"title": "Everything", "categories": CATEGORIES, "products": PRODUCTS}

    def static_markup() -> Any:
        from markupsafe import Markup

        return Markup(app.config["STATIC_MARKUP"])

    @app.get("/")
    def page() -> str:
        if with_consent:
            return render_template("page.html", **ctx)
        return render_template("page_static.html", static_markup=static_markup(), **ctx)

    @app.get("/call")
    def page_call() -> str:
        if with_consent:
            return render_template("page_call.html", **ctx)
        return render_template("page_static.html", static_markup=static_markup(), **ctx)

    @app.get("/csrf")
    def page_csrf() -> str:
        """The bare page issuing a Flask-WTF CSRF token (so a session cookie), as any page with a form does."""
        generate_csrf()
        return render_template("page_static.html", static_markup=static_markup(), **ctx)

    @app.get("/hello")
    def hello() -> str:
        return "Hello, world!"

    def gated_view() -> str:
        return render_template("page_call.html" if with_consent else "page_static.html",
                               static_markup=static_markup(), **ctx)

    app.add_url_rule("/plain", "plain", gated_view)
    if with_consent:
        app.add_url_rule("/gated", "gated", consent_required("recommendations")(gated_view))
        Consent(app, purposes=PURPOSES)
    return app


def environ_for(path: str, cookie: str | None) -> dict[str, Any]:
    headers = {"Accept": "text/html,application/xhtml+xml", "Accept-Language": "en-GB,en;q=0.9",
               "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36"}
    if cookie:
        headers["Cookie"] = cookie
    return EnvironBuilder(path=path, headers=headers).get_environ()


def call(app: Flask, environ: dict[str, Any]) -> bytes:
    """One WSGI call; returns the body."""
    status: list[str] = []

    def start_response(s: str, h: Any, exc_info: Any = None) -> Callable[[bytes], None]:
        status.append(s)
        return lambda _b: None

    env = dict(environ)
    env["wsgi.input"] = io.BytesIO()
    result = app(env, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    if not status or not status[0].startswith("200"):
        raise SystemExit(f"bench request to {environ['PATH_INFO']} answered {status}")
    return body


def timed(app: Flask, environ: dict[str, Any], n: int) -> float:
    """Seconds for ``n`` calls."""
    start = time.perf_counter()
    for _ in range(n):
        call(app, environ)
    return time.perf_counter() - start


def measure(a: Flask, ea: dict[str, Any], b: Flask, eb: dict[str, Any], n: int, rounds: int,
            block: int = 50) -> tuple[float, float, float]:
    """The median over ``rounds`` of the ratio a/b, and the median µs per call of each.

    Each round makes ``n`` calls of each side in alternating blocks of ``block`` calls and keeps each
    side's fastest block: noise from the rest of the machine only ever adds time, so the fastest block
    is the closest to the true cost, and alternating means a quiet spell serves both sides.
    """
    timed(a, ea, 200)  # warm caches, templates and lazy imports
    timed(b, eb, 200)
    ratios: list[float] = []
    us_a: list[float] = []
    us_b: list[float] = []
    for r in range(rounds):
        best_a = best_b = float("inf")
        for i in range(max(1, n // block)):
            if (i + r) % 2:
                best_b = min(best_b, timed(b, eb, block))
                best_a = min(best_a, timed(a, ea, block))
            else:
                best_a = min(best_a, timed(a, ea, block))
                best_b = min(best_b, timed(b, eb, block))
        ratios.append(best_a / best_b)
        us_a.append(best_a / block * 1e6)
        us_b.append(best_b / block * 1e6)
    return statistics.median(ratios), statistics.median(us_a), statistics.median(us_b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=4000, help="WSGI calls per app per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--replay", metavar="SCENARIO:SIDE:CALLS",
                        help="only make CALLS calls of one side (ext or base) of scenario 1-6, untimed: for "
                             "counting instructions with valgrind --tool=callgrind (run with 0 and N calls and "
                             "subtract)")
    parser.add_argument("--only", metavar="N[,N...]", help="run only these scenarios (numbered 1-6 as listed)")
    args = parser.parse_args()
    only = {int(n) for n in args.only.split(",")} if args.only else None

    tmp = tempfile.mkdtemp(prefix="consent-bench-")
    db_url = f"sqlite:///{tmp}/consent.db"
    app = make_app(True, tmp, db_url)
    bare = make_app(False, tmp, db_url)
    ext: Consent = app.extensions["consent"]
    ext.store.init_db()  # type: ignore[attr-defined]

    with app.test_request_context("/"):
        state = undecided(ext.registry, ext.policy_version, ext.max_age).apply(
            "accept_all", method="banner_accept_all", record_id="benchrecord0001")
        cookie = f"{ext.cookie_name}={ext.codec.dumps(state)}"

    # The bare page carries exactly what the extension adds for a decided visitor, and the first-visit
    # baseline carries the banner a first visitor gets (same bytes, no work).
    decided_body = call(app, environ_for("/call", cookie))
    first_body = call(app, environ_for("/", None))
    decided_markup = _between(decided_body)
    first_markup = _between(first_body)
    assert b"consent-reopen" in decided_markup and b"consent-banner" in first_markup

    statements: list[str] = []
    sa.event.listen(sa.engine.Engine, "before_cursor_execute",
                    lambda *a, **k: statements.append(str(a[2])))

    def bare_env(path: str, markup: bytes, c: str | None) -> tuple[Flask, dict[str, Any]]:
        bare.config["STATIC_MARKUP"] = markup.decode()
        return bare, environ_for(path, c)

    results: list[tuple[str, str, float]] = []
    scenarios: list[tuple[str, str, float, Flask, dict[str, Any], bytes | None, str, str | None]] = [
        ("Typical page calling consent_banner(), valid cookie", "/call", 1.10, app, environ_for("/call", cookie),
         decided_markup, "/call", cookie),
        ("Typical page, control auto-injected, valid cookie", "/", 1.10, app, environ_for("/", cookie),
         decided_markup, "/", cookie),
        ("Hello world, valid cookie", "/hello", 1.10, app, environ_for("/hello", cookie), None, "/hello", cookie),
        ("Typical page, first visit (banner rendered and injected)", "/", 1.30, app, environ_for("/", None),
         first_markup, "/", None),
        ("@consent_required view granted vs undecorated (both with the extension)", "/gated", 1.10, app,
         environ_for("/gated", cookie), None, "/plain", cookie),
        ("(for scale) first visit vs a bare page that issues a CSRF token", "/", 0.0, app,
         environ_for("/", None), first_markup, "/csrf", None),
    ]
    for number, (label, _path, target, a, ea, markup, bpath, bcookie) in enumerate(scenarios, 1):
        if label.startswith("@consent_required"):
            b, eb = app, environ_for(bpath, bcookie)
        elif markup is None:
            b, eb = bare, environ_for(bpath, bcookie)
        else:
            b, eb = bare_env(bpath, markup, bcookie)
        if args.replay:
            scenario, side, calls = args.replay.split(":")
            if int(scenario) == number:
                target_app, environ = (a, ea) if side == "ext" else (b, eb)
                for _ in range(50 + int(calls)):
                    call(target_app, environ)
                return
            continue
        if only is not None and number not in only:
            continue
        statements.clear()
        ratio, us_a, us_b = measure(a, ea, b, eb, args.requests, args.rounds)
        ok = f"≤ {target:.2f}×: {'yes' if ratio <= target else 'NO'}; " if target else ""
        results.append((label, f"{ratio:.3f}× ({ok}{us_a:.0f} µs vs {us_b:.0f} µs)",
                        float(len(statements))))

    width = max(len(r[0]) for r in results)
    print(f"Python {sys.version.split()[0]}, {args.requests} calls × {args.rounds} rounds per scenario")
    for label, figure, stmts in results:
        print(f"{label:<{width}}  {figure}  DB statements: {int(stmts)}")


def _between(body: bytes) -> bytes:
    """What the extension added: right after ``<body>`` (auto-injected) or after the footer (called)."""
    start = body.index(b"<body>") + len(b"<body>")
    injected = body[start:body.index(b'<header class="site">')]
    if injected:
        return injected
    start = body.index(b"</footer>") + len(b"</footer>\n")
    return body[start:body.rindex(b"</body>")]


if __name__ == "__main__":
    main()
