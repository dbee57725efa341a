"""What flask_consent adds to a page for a decided visitor, against what Flask-Login adds for a remembered
member, on the same page in the same run (target: consent's added µs ≤ 0.25 × Flask-Login's).

Run by hand (never as a timed test)::

    python bench/peers.py [--requests 3000] [--rounds 7]

Three apps serve the bench shop's page (``bench/overhead.py``'s layout): bare; with the extension, called by a
visitor whose consent cookie is valid (the "Privacy choices" control is rendered); with Flask-Login, called
by a member signed in by the remember cookie only (a new browser session: Flask-Login loads the user and
writes the session). Each is called ``--requests`` times per round in alternating blocks of 50 calls, and
each side's fastest block counts (noise only ever adds time); each added cost is the median over rounds of
(app - bare) per request.

``--what-if-state-cache`` adds a fourth side for the team's decision on issue 16, not a feature: the same
extension app, except that its decoded states are kept across requests per (cookie, GPC signal), which the
redesign removed on purpose. It shows what such a cache would buy on this page; it is never shipped (a kept
state also keeps its clock, so it could not see a decision expire).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask, render_template

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import flask_login  # noqa: E402
from overhead import CATEGORIES, PRODUCTS, PURPOSES, SECRET, TEMPLATES, call, environ_for, timed  # noqa: E402

from flask_consent import Consent  # noqa: E402
from flask_consent.state import undecided  # noqa: E402

PAGE = "page_call.html"


class Member(flask_login.UserMixin):
    def __init__(self, user_id: str):
        self.id = user_id


def make(kind: str, instance: str) -> Flask:
    """The bench page on a bare app, or with ``consent`` or ``login``."""
    from jinja2 import DictLoader

    app = Flask(f"peers_{kind}", instance_path=instance)
    app.config.update(SECRET_KEY=SECRET, CONSENT_DATABASE_URL=f"sqlite:///{instance}/consent.db")
    app.jinja_loader = DictLoader(TEMPLATES)  # type: ignore[assignment,method-assign]
    ctx = {"title": "Everything", "categories": CATEGORIES, "products": PRODUCTS}

    @app.get("/")
    def page() -> str:
        if kind == "consent":
            return render_template(PAGE, **ctx)
        return render_template("page_static.html", static_markup="", **ctx)

    if kind == "consent":
        Consent(app, purposes=PURPOSES)
    if kind == "login":
        manager = flask_login.LoginManager(app)
        manager.user_loader(Member)

        @app.get("/login")
        def login() -> str:
            flask_login.login_user(Member("42"), remember=True)
            return "in"

        @app.before_request
        def who() -> None:
            flask_login.current_user.is_authenticated  # noqa: B018 - as any page that greets the member does
    return app


def keep_states(app: Flask) -> None:
    """The experiment: ``app``'s states read once per (cookie, GPC signal) and kept (other apps unchanged)."""
    from flask_consent import context, visitor

    registry = app.extensions["consent"].registry
    kept: dict[tuple[str | None, bool], Any] = {}
    read = visitor.read_state

    def read_kept(request: Any, settings: Any, reg: Any, codec: Any) -> Any:
        if reg is not registry:
            return read(request, settings, reg, codec)
        key = (visitor.consent_cookie(request, settings), visitor.gpc_signal(request))
        if key not in kept:
            kept[key] = read(request, settings, reg, codec)
        return kept[key]

    vars(context)["read_state"] = read_kept  # what context.consent_state calls


def remember_cookie(app: Flask) -> str:
    client = app.test_client()
    client.get("/login")
    return f"remember_token={client.get_cookie('remember_token').value}"  # type: ignore[union-attr]


def consent_cookie(app: Flask) -> str:
    comps = app.extensions["consent"]
    with app.test_request_context("/"):
        state = undecided(comps.registry, comps.policy_version, comps.max_age).apply(
            "accept_all", method="banner_accept_all", record_id="benchrecord0001")
        return f"{comps.cookie_name}={comps.codec.dumps(state)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--what-if-state-cache", action="store_true",
                        help="also time the extension with its decoded states kept across requests (experiment)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="consent-peers-")
    bare, consent, login = make("bare", tmp), make("consent", tmp), make("login", tmp)
    sides: dict[str, tuple[Flask, dict[str, Any]]] = {
        "bare": (bare, environ_for("/", None)),
        "consent": (consent, environ_for("/", consent_cookie(consent))),
        "login": (login, environ_for("/", remember_cookie(login))),
    }
    if args.what_if_state_cache:
        cached = make("consent", tmp)
        keep_states(cached)
        sides["consent, states kept"] = (cached, environ_for("/", consent_cookie(cached)))
    assert b"consent-reopen" in call(*sides["consent"])
    for app, environ in sides.values():
        timed(app, environ, 200)  # warm caches, templates and lazy imports
    added: dict[str, list[float]] = {name: [] for name in sides if name != "bare"}
    block = 50
    for r in range(args.rounds):
        # Each side's fastest block of the round: noise from the rest of the machine only ever adds time, and
        # rotating the order means a quiet spell serves every side.
        best = {name: float("inf") for name in sides}
        order = list(sides)
        for i in range(max(1, args.requests // block)):
            shift = (i + r) % len(order)
            for name in order[shift:] + order[:shift]:
                best[name] = min(best[name], timed(*sides[name], block))
        per = {name: best[name] / block * 1e6 for name in sides}
        for name in added:
            added[name].append(per[name] - per["bare"])
    c, lg = statistics.median(added["consent"]), statistics.median(added["login"])
    ratio = c / lg
    print(f"added per page: flask_consent {c:.1f} µs (decided visitor), Flask-Login {lg:.1f} µs (remembered member)")
    print(f"ratio {ratio:.3f} (≤ 0.25: {'yes' if ratio <= 0.25 else 'NO'})")
    if "consent, states kept" in added:
        kept = statistics.median(added["consent, states kept"])
        print(f"experiment, decoded states kept across requests: {kept:.1f} µs, ratio {kept / lg:.3f}")


if __name__ == "__main__":
    main()
