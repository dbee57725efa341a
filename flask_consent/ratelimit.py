"""The per-client consent rate limit, on the ``limits`` library (what Flask-Limiter counts with).

Unchanged choices already write nothing; the limit stops a bot from growing the consent log by flipping its
choice over and over (``POST /consent`` answers 429 with ``Retry-After``), and bounds the ``gpc`` records
that cookieless requests with a GPC signal could otherwise write on every page view. ``CONSENT_RATE_LIMIT``
(``"30/minute"``) is the limit of each; ``None`` or ``False`` turns it off. ``CONSENT_RATE_LIMIT_STORAGE_URI``
says where counts are kept: ``memory://`` per process, ``redis://...`` shared by every worker and host.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from flask import request
from limits import parse_many
from limits.errors import ConfigurationError as LimitsConfigurationError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .exc import ConfigurationError

log = logging.getLogger("flask_consent")


def remote_address() -> str:
    """The client's address as the WSGI server (or ``ProxyFix``) reports it."""
    return request.remote_addr or "127.0.0.1"


class RateLimit:
    """One limit per client and scope (``choice``, ``gpc``), counted in ``storage_uri``."""

    def __init__(self, rate: str, storage_uri: str, key: Callable[[], str] | None = None):
        #: Every limit of ``rate`` (``"30/minute;2/second"``: both apply, as in Flask-Limiter).
        self.items = parse_many(rate)
        try:
            self.storage = storage_from_string(storage_uri)
        except LimitsConfigurationError:
            raise ConfigurationError(
                f"CONSENT_RATE_LIMIT_STORAGE_URI is {masked(storage_uri)!r}, which the limits library cannot use "
                "(an unknown scheme, or its client is not installed): use memory:// or e.g. redis://host:6379 "
                "(pip install 'flask-consent-log[redis]')."
            ) from None
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.key = key or remote_address

    def hit(self, scope: str) -> int | None:
        """Count one hit of this request's client in ``scope``: None when allowed, else the seconds to wait."""
        client = self.key()
        for item in self.items:
            try:
                if self.limiter.hit(item, "flask_consent", scope, client):
                    continue
            except Exception:  # noqa: BLE001 - the count's storage (Redis) is down: no limit rather than a 500
                log.warning("flask_consent: rate-limit storage unavailable; %s not limited", scope, exc_info=True)
                return None
            reset_at, _remaining = self.limiter.get_window_stats(item, "flask_consent", scope, client)
            return max(1, math.ceil(reset_at - time.time()))
        return None


def masked(uri: str) -> str:
    """``uri`` with its password (if any) replaced by ``***``, fit for an error message or a log."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
