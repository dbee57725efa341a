"""A strict Content-Security-Policy for the shop: scripts only from the shop itself or with this request's
nonce (the consent extension's inline Google Consent Mode snippet carries it), no inline handlers, no eval."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g

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
