"""The shop's protections that are not about consent.

- A strict Content-Security-Policy: scripts only from the shop itself or with this request's nonce (the
  consent extension's inline Google Consent Mode snippet carries it), no inline handlers, no eval.
- Security headers on every response (``HEADERS``); the browser features the shop uses (location,
  microphone, camera) are allowed to the shop's own pages only.
- The production setting ``SHOP_PRODUCTION`` [from the environment variable ``SHOP_PRODUCTION=1``, else
  off]: for a shop served over HTTPS. It marks every cookie ``Secure`` (``SESSION_COOKIE_SECURE``,
  ``REMEMBER_COOKIE_SECURE``, ``CONSENT_COOKIE_SECURE`` and the shop's own cookies), sends HSTS and makes
  ``url_for(..., _external=True)`` use https. Off by default so that ``flask run`` works on plain http.
- CSRF tokens only where a form or a script needs one, so a plain page view sets no session cookie:
  scripts fetch theirs from ``GET /csrf-token`` when they are about to post.
- Database files that only the shop's own user can read.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, request
from flask_wtf.csrf import generate_csrf
from sqlalchemy.engine import make_url

bp = Blueprint("security", __name__)

POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)


#: Sent with every response. ``same-origin`` keeps the Referer on the shop's own requests: over HTTPS
#: Flask-WTF refuses a form post without one.
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(self), microphone=(self), camera=(self), payment=(), usb=(), "
                          "browsing-topics=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """This request's nonce (``CONSENT_CSP_NONCE`` and the ``csp_nonce()`` template global)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return str(nonce)


def add_csp(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", POLICY.format(nonce=csp_nonce()))
    return response


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config["SHOP_PRODUCTION"]:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def secure_cookies() -> bool:
    """Whether the shop's own cookies get ``Secure``: in production, or when this request came over HTTPS."""
    return bool(current_app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def init_security(app: Flask) -> None:
    """The CSP, the headers and the production setting. Call before ``Consent(app)``, which reads
    ``CONSENT_COOKIE_SECURE``."""
    app.config.setdefault("SHOP_PRODUCTION", os.environ.get("SHOP_PRODUCTION", "") in ("1", "true", "yes"))
    if app.config["SHOP_PRODUCTION"]:
        for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "CONSENT_COOKIE_SECURE"):
            app.config[key] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("CONSENT_CSP_NONCE", csp_nonce)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(add_csp)
    app.after_request(add_headers)


@bp.get("/csrf-token")
def csrf_token() -> Response:
    """This session's CSRF token, for a script that is about to post (``X-CSRFToken``).

    Handing it out here, rather than in every page, keeps the session cookie off plain page views.
    """
    response = jsonify(csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


def same_origin_post() -> None:
    """Refuse (403) a POST that the browser says came from another site.

    For the few forms that carry no CSRF token so that every page can show them without a session (the
    language switch): browsers send ``Sec-Fetch-Site`` and ``Origin`` with every POST.
    """
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if (site and site not in ("same-origin", "none")) or (origin and origin != request.host_url.rstrip("/")):
        abort(403)


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for other databases and for in-memory SQLite."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def protect_database_files(app: Flask) -> None:
    """Make the shop's and the consent log's SQLite files readable by the shop's user only (0600).

    They hold members' names, addresses, phones and orders, so they get the same mode as the secret key
    beside them. A missing file is created empty first (SQLite takes an empty file as an empty database),
    so it never exists with the process's umask even for a moment; SQLite gives its ``-wal``, ``-shm`` and
    ``-journal`` files the mode of the database file. Existing files are tightened too.
    """
    consent_url = app.config.get("CONSENT_DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'consent.db'}"
    for url in (app.config["SQLALCHEMY_DATABASE_URI"], consent_url):
        path = _sqlite_file(url)
        if path is None:
            continue
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        for companion in (path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))):
            if companion.exists():
                companion.chmod(0o600)
