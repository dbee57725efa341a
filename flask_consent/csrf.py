"""The CSRF token of the consent forms: a signed double-submit cookie, so no server session is needed.

A first visitor's banner must carry a token for its plain-HTML form. Flask-WTF keeps its token in Flask's
session, so issuing one costs a new signed session cookie (about two thirds of the extension's whole cost on
a first page view). Here the browser keeps a random value in a cookie of its own (``<consent cookie>_csrf``,
HttpOnly, SameSite, no lifetime) and the token is a keyed hash of that value and the time it was issued:

    token = "c1." + <issued, unix seconds> + "." + base64url(HMAC-SHA256(key, value "." issued))[:22]

A cross-site page can neither read the cookie nor compute the hash, so it cannot forge a token; SameSite
keeps the cookie off cross-site posts as well. The key is derived from ``SECRET_KEY`` (tokens issued under a
key in ``SECRET_KEY_FALLBACKS`` still verify) and a token expires after ``WTF_CSRF_TIME_LIMIT`` seconds
(3600 unless the app sets it; None for never), as Flask-WTF's do. Tokens that Flask-WTF issued (an app's own
form posting to ``/consent`` with ``{{ csrf_token() }}``) are still accepted: ``forms.csrf_ok`` checks them
with Flask-WTF.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable

PREFIX = "c1."
_INFO = b"flask-consent.csrf.v1"
_VALUE = re.compile(r"^[A-Za-z0-9_-]{22}$")
_TOKEN = re.compile(r"^c1\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$")


def new_value() -> str:
    """A fresh random cookie value (128 bits)."""
    return secrets.token_urlsafe(16)


def valid_value(value: str | None) -> bool:
    """True when ``value`` has the shape of a cookie value this module issued."""
    return value is not None and _VALUE.match(value) is not None


class CsrfSigner:
    """Issues and checks consent-form tokens for one app (newest key last, as for the consent cookie)."""

    def __init__(self, secret_keys: Iterable[str | bytes]):
        keys = [k.encode() if isinstance(k, str) else k for k in secret_keys if k]
        if not keys:
            raise ValueError("a CSRF signer needs at least one secret key")
        # One HMAC object per key, keyed once; each token copies it (cheaper than keying a new one).
        self._macs = [hmac.new(hmac.new(k, _INFO, hashlib.sha256).digest(), digestmod=hashlib.sha256)
                      for k in reversed(keys)]

    def _sign(self, mac: hmac.HMAC, value: str, issued: str) -> str:
        m = mac.copy()
        m.update(f"{value}.{issued}".encode())
        return base64.urlsafe_b64encode(m.digest()).decode()[:22]

    def token(self, value: str, now: float | None = None) -> str:
        """The token for cookie value ``value``, issued now."""
        issued = str(int(time.time() if now is None else now))
        return f"{PREFIX}{issued}.{self._sign(self._macs[0], value, issued)}"

    def check(self, token: str, value: str | None, time_limit: float | None, now: float | None = None) -> bool:
        """True when ``token`` was issued for cookie ``value`` under one of the keys, within ``time_limit``."""
        if not valid_value(value):
            return False
        match = _TOKEN.match(token)
        if match is None:
            return False
        issued, signature = match.groups()
        age = (time.time() if now is None else now) - int(issued)
        if age < -300 or (time_limit is not None and age > time_limit):
            return False
        return any(hmac.compare_digest(self._sign(mac, value, issued), signature)  # type: ignore[arg-type]
                   for mac in self._macs)
