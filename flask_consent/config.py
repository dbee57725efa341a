"""Every configuration key of the extension, with its default, in one place."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

#: ``CONSENT_DATABASE_URL``: where the consent log lives. None means ``sqlite:///<instance>/consent.db``.
DATABASE_URL: str | None = None
#: ``CONSENT_COOKIE_NAME``: the name of the signed consent cookie.
COOKIE_NAME = "consent"
#: ``CONSENT_MAX_AGE``: how long a decision holds before the banner asks again (about six months).
MAX_AGE = timedelta(days=182)
#: ``CONSENT_POLICY_VERSION``: bump it when the privacy policy changes; everyone is asked again.
POLICY_VERSION = "1"
#: ``CONSENT_POLICY_URL``: the privacy policy linked from the banner (None: the cookie declaration page).
POLICY_URL: str | None = None
#: ``CONSENT_AUTO_INJECT``: insert the banner before ``</body>`` of HTML pages that did not render it.
AUTO_INJECT = True
#: ``CONSENT_COOKIE_SECURE`` / ``_SAMESITE`` / ``_DOMAIN``: None follows Flask's ``SESSION_COOKIE_*``.
COOKIE_SECURE: bool | None = None
COOKIE_SAMESITE: str | None = None
COOKIE_DOMAIN: str | None = None
#: ``CONSENT_UNDECLARED_COOKIES``: what to do with a Set-Cookie no purpose declares: warn, block or allow.
UNDECLARED_COOKIES = "warn"
#: ``CONSENT_LOCALE_SELECTOR``: a callable returning the request's locale (default: Flask-Babel or
#: Accept-Language).
LOCALE_SELECTOR = None
#: ``CONSENT_TRANSLATION_DIRECTORIES``: the app's directories (``;``-separated or a list, relative to its root)
#: of ``flask_consent`` catalogs that add or reword languages (None: Flask-Babel's ``BABEL_TRANSLATION_DIRECTORIES``).
TRANSLATION_DIRECTORIES: str | list[str] | None = None
#: ``CONSENT_CSP_NONCE``: a callable returning this request's CSP nonce for the extension's inline tags.
CSP_NONCE = None
#: ``CONSENT_IP_HASH_KEY``: the key of the keyed hash of IP addresses in records (not the signing key).
#: None: a random key kept in the instance folder.
IP_HASH_KEY: str | bytes | None = None
#: ``CONSENT_CONTROLLER``: who is responsible for the data, shown in receipts.
CONTROLLER: dict[str, str] | None = None
#: ``CONSENT_JURISDICTION``: the jurisdiction named in receipts.
JURISDICTION = "HK"
#: ``CONSENT_GPC_LAST_UPDATE``: the ``lastUpdate`` date served in ``/.well-known/gpc.json``.
GPC_LAST_UPDATE = "2026-11-26"
#: ``CONSENT_URL_PREFIX``: where the blueprint is mounted (the HTTP contract fixes ``/consent``).
URL_PREFIX = "/consent"

#: ``CONSENT_CREATE_TABLES``: create the consent log's table on first use when it is missing (set False where
#: migrations own the schema; ``flask consent init-db`` creates it explicitly).
CREATE_TABLES = True
#: ``CONSENT_BASE_TEMPLATE``: a template of the app that the extension's own pages extend, filling its blocks
#: ``title`` and ``content`` (None: the extension's own standalone layout, ``consent/page.html``).
BASE_TEMPLATE: str | None = None
#: ``CONSENT_COLOR_SCHEME``: ``auto`` (follows the browser), ``light`` or ``dark``.
COLOR_SCHEME = "auto"

#: ``CONSENT_RATE_LIMIT``: per-client limit on ``POST /consent`` and on the ``gpc`` records a client's
#: requests may write (the ``limits`` library's syntax, as Flask-Limiter's). None or False turns it off.
RATE_LIMIT: str | None = "30/minute"
#: ``CONSENT_RATE_LIMIT_STORAGE_URI``: where the limit counts. ``memory://`` counts per process; use e.g.
#: ``redis://...`` (the ``redis`` extra) to share the count between the workers and hosts of one site.
RATE_LIMIT_STORAGE_URI = "memory://"
#: ``CONSENT_RATE_LIMIT_KEY``: a callable naming the client to count against (None: the remote address; put
#: ``werkzeug.middleware.proxy_fix.ProxyFix`` in front when behind a proxy).
RATE_LIMIT_KEY = None


def defaults() -> dict[str, Any]:
    """The ``CONSENT_*`` keys and their defaults."""
    return {f"CONSENT_{k}": v for k, v in globals().items() if k.isupper()}
