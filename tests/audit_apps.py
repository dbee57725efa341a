"""Two shops for the consent audit's tests: a clean one, and a deliberately leaky one.

The clean shop gates its third-party script and frame, sets an analytics cookie only for the extension to
drop, deletes a cookie, offers a download and lets a GPC visitor's first page write its one ``gpc``
record: none of that is a problem. The leaky shop has every problem the audit knows, once:

* ``/`` sets an undeclared ``_tracker`` cookie on a visitor's first visit, loads an ungated script and a
  pixel from other hosts, and runs an ungated inline ad snippet that writes ``document.cookie`` and
  ``localStorage``; its analytics script and video frame are gated properly and must not be reported.
* A WSGI middleware of an old analytics integration sets ``_shop_analytics`` once a visitor has a consent
  cookie, whatever they chose: it works outside Flask, so the extension's cookie filter never sees it.
* ``/stats`` reads the consent log on a page view, ``/boom`` fails, ``/fragment`` is HTML without a body.
* ``/about`` is clean.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from conftest import shop_purposes
from flask import Flask, make_response, render_template_string, request

from flask_consent import Consent

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Leaky shop</title>
<script src="https://tracker.example/t.js"></script>
{{ consent_script("analytics", src="https://analytics.example/a.js") }}
</head><body><main><h1>Leaky shop</h1>
<img src="https://pixel.example/p.gif" width="1" height="1" alt="">
{{ consent_iframe("advertising", src="https://video.example/embed", title="Video") }}
<script>document.cookie = "_ads_uid=42; path=/"; localStorage.setItem("_ads_last_seen", "now");</script>
</main></body></html>"""

ABOUT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>About</title></head>
<body><main><h1>About us</h1></main></body></html>"""


class LegacyAnalytics:
    """Sets the analytics cookie for every visitor who has made any choice: "decided" taken for "agreed"."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]):
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        decided = "consent=" in environ.get("HTTP_COOKIE", "")

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if decided and not environ.get("PATH_INFO", "").startswith("/consent"):
                headers = [*headers, ("Set-Cookie", "_shop_analytics=1; Path=/")]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def build_leaky_app(db: str, instance: str) -> Flask:
    app = Flask("leaky_shop", instance_path=instance)
    app.config.update(SECRET_KEY="leaky-secret-key-0123456789abcdef", TESTING=True, CONSENT_DATABASE_URL=db)

    @app.get("/")
    def index() -> Any:
        response = make_response(render_template_string(PAGE))
        if "_tracker" not in request.cookies:
            response.set_cookie("_tracker", "t-1", max_age=3600 * 24 * 365)
        return response

    @app.get("/about")
    def about() -> str:
        return ABOUT

    @app.get("/stats")
    def stats() -> str:
        count = app.extensions["consent"].store.count()
        return f"<!doctype html><html><body><p>{count} choices so far</p></body></html>"

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("the basket service is down")

    @app.get("/fragment")
    def fragment() -> str:
        return "<p>Free delivery this week</p>"

    Consent(app, purposes=shop_purposes())
    app.wsgi_app = LegacyAnalytics(app.wsgi_app)  # type: ignore[method-assign]
    return app


CLEAN = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Clean shop</title>
{{ consent_script("analytics", src="https://analytics.example/a.js") }}
<script src="/static-like/app.js" data-local="yes"></script>
</head><body><main><h1>Clean shop</h1><img src="/logo.png" alt="Logo">
{{ consent_iframe("advertising", src="https://video.example/embed", title="Video") }}
</main></body></html>"""


def build_clean_app(db: str, instance: str) -> Flask:
    app = Flask("clean_shop", instance_path=instance)
    app.config.update(SECRET_KEY="clean-secret-key-0123456789abcdef", TESTING=True, CONSENT_DATABASE_URL=db)

    @app.get("/")
    def index() -> Any:
        response = make_response(render_template_string(CLEAN))
        # The extension drops these until their purposes are granted: what reaches no visitor is no problem.
        response.set_cookie("_shop_analytics", "1")
        response.set_cookie("recs_seen", "1")
        return response

    @app.get("/logout")
    def logout() -> Any:
        response = make_response(render_template_string(CLEAN))
        response.delete_cookie("_tracker")
        return response

    @app.get("/export")
    def export() -> Any:
        response = make_response('{"orders": []}')
        response.headers["Content-Disposition"] = "attachment; filename=orders.json"
        response.mimetype = "application/json"
        return response

    @app.get("/items/<int:item>")
    def item(item: int) -> str:
        raise AssertionError("the audit visits no route that needs a URL parameter")

    @app.post("/basket")
    def basket() -> str:
        raise AssertionError("the audit only sends GET")

    Consent(app, purposes=shop_purposes())
    return app
