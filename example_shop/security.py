"""The shop's protections that are not about consent: a strict Content-Security-Policy (scripts only from
the shop itself or with this request's nonce, which the consent extension's inline Google Consent Mode snippet
carries; no inline handlers, no eval) and database files that only the shop's own user can read."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, Response, g
from sqlalchemy.engine import make_url

POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)


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


def init_csp(app: Flask) -> None:
    app.config.setdefault("CONSENT_CSP_NONCE", csp_nonce)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(add_csp)


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
