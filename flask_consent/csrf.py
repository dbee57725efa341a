"""The CSRF token of the consent forms: a signed double-submit cookie, so no server session is needed.

A first visitor's banner must carry a token for its plain-HTML form. Flask-WTF keeps its token in Flask's
session, so issuing one would cost every first visitor a session cookie. Instead the browser keeps a random
value in a cookie of the extension's own (HttpOnly, SameSite, for the browser session; ``__Host-`` prefixed
over HTTPS so a sibling subdomain cannot plant one), and the token is that value signed with itsdangerous'
``TimestampSigner`` under the app's secret keys: ``"c1." + signer.sign(value)``. A cross-site page can
neither read the cookie nor sign a value, so it cannot forge a token. Tokens expire after
``WTF_CSRF_TIME_LIMIT`` seconds (3600 unless the app sets it; None for never), as Flask-WTF's do.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

from itsdangerous import BadData, TimestampSigner

PREFIX = "c1."
SALT = "flask-consent.csrf.v1"
_VALUE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def new_value() -> str:
    """A fresh random cookie value (128 bits)."""
    return secrets.token_urlsafe(16)


def valid_value(value: str | None) -> bool:
    """True when ``value`` has the shape of a cookie value :func:`new_value` makes."""
    return value is not None and _VALUE.match(value) is not None


class CsrfSigner:
    """Issues and checks consent-form tokens for one app (keys oldest first, the last one signs)."""

    def __init__(self, secret_keys: Iterable[str | bytes]):
        keys = [k for k in secret_keys if k]
        if not keys:
            raise ValueError("a CSRF signer needs at least one secret key")
        # hashlib's own sha1 (itsdangerous' default is a wrapper of it) lets hmac take OpenSSL's fast path.
        self.signer = TimestampSigner(keys, salt=SALT, digest_method=hashlib.sha1)  # type: ignore[arg-type]

    def token(self, value: str) -> str:
        """The token for cookie value ``value``, issued now."""
        return PREFIX + self.signer.sign(value).decode()

    def check(self, token: str, value: str | None, time_limit: float | None) -> bool:
        """True when ``token`` was issued for cookie ``value`` under one of the keys, within ``time_limit``."""
        if not valid_value(value) or not token.startswith(PREFIX):
            return False
        try:
            signed = self.signer.unsign(token[len(PREFIX):], max_age=None if time_limit is None else int(time_limit))
        except BadData:
            return False
        return hmac.compare_digest(signed, value.encode())  # type: ignore[union-attr]
