"""The parts the extension assembles for one app, kept in ``app.extensions["consent"]``.

One ``Consent()`` may serve several apps (the app-factory pattern), each with its own ``SECRET_KEY``,
config and consent log: everything that belongs to one app lives in its :class:`Components`, and the
request hooks, views and helpers find it with :func:`components`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from flask import Flask, current_app

from .cookie import CookieCodec
from .csrf import CsrfSigner
from .enforcement import CookieNotes
from .exc import ConfigurationError
from .purposes import PurposeRegistry, localise
from .ratelimit import RateLimit
from .recording import Recorder
from .settings import Settings
from .spool import Spool
from .store import ConsentStore


class BannerCache:
    """Markup of the package's own banner templates, kept per key (see ``banner.cache_key``), split at the
    stand-ins each request fills in (its CSRF token and return path).

    The rule: an entry is valid for as long as the process runs, because its key holds everything the
    template reads that can change between requests (locale, URL root, the visitor's due purposes, reason
    and GPC refusals); the rest (purposes, settings) is fixed when the app starts. Templates the app
    overrides, and apps with URL defaults or template signal receivers, are never kept (``banner.cacheable``).
    At most ``limit`` entries: when full it starts over.
    """

    def __init__(self, limit: int = 512):
        self.limit = limit
        self._entries: dict[tuple[Any, ...], tuple[str, ...]] = {}
        #: Whether each set of template names loads the package's own files (see ``banner.cacheable``).
        self.own_templates: dict[tuple[str, ...], bool] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> tuple[str, ...] | None:
        return self._entries.get(key)

    def put(self, key: tuple[Any, ...], markup: tuple[str, ...]) -> None:
        with self._lock:
            if len(self._entries) >= self.limit:
                self._entries.clear()
            self._entries[key] = markup

    def __len__(self) -> int:
        return len(self._entries)


@dataclass
class Components:
    """One app's consent parts. Built by ``Consent.init_app``; none of them knows the ``Consent`` object."""

    settings: Settings
    registry: PurposeRegistry
    codec: CookieCodec
    csrf: CsrfSigner
    spool: Spool
    recorder: Recorder
    cookie_notes: CookieNotes
    #: The consent rate limit (``CONSENT_RATE_LIMIT``), or None when it is off.
    limiter: RateLimit | None
    #: True when ``url_for`` may give absolute URLs that depend on the request's host.
    host_urls: bool
    banners: BannerCache = field(default_factory=BannerCache)

    @property
    def store(self) -> ConsentStore:
        """The consent log (the recorder's: replacing it here replaces it there)."""
        return self.recorder.store

    @store.setter
    def store(self, value: ConsentStore) -> None:
        self.recorder.store = value

    @property
    def policy_version(self) -> str:
        return self.settings.policy_version

    @property
    def max_age(self) -> timedelta:
        return self.settings.max_age

    @property
    def cookie_name(self) -> str:
        return self.settings.cookie_name

    def flush_spool(self, wait: bool = True) -> int:
        """Replay records spooled during a database outage; return how many were new in the log."""
        return self.recorder.flush(wait=wait)

    def banner_hash(self, locale: str) -> str:
        """The hash of what the banner says in ``locale``, as records cite it."""
        return self.recorder.banner_hash(locale)

    def undeclared_cookies(self) -> list[str]:
        """Names of cookies the app was seen setting that no purpose declares (now: a name declared since it
        was noted is no longer reported)."""
        return [n for n in self.cookie_notes.undeclared() if self.registry.purpose_of_cookie(n) is None]

    def declaration(self, locale: str | None = None) -> list[dict[str, Any]]:
        """Every purpose with its vendors, cookies, lifetimes and justification, for the shop's policy."""
        loc = locale or "en"
        return [
            {
                "key": p.key,
                "title": localise(p.title, loc),
                "description": localise(p.description, loc),
                "required": p.required,
                "version": p.version,
                "vendors": list(p.vendors),
                "justification": localise(p.justification, loc),
                "refusal_effect": localise(p.refusal_effect, loc),
                "gpc_opt_out": p.gpc_opt_out,
                "gcm": list(p.gcm),
                "cookies": [
                    {
                        "name": c.pattern,
                        "lifetime": localise(c.lifetime, loc),
                        "path": c.path,
                        "domain": c.domain,
                        "description": localise(c.description, loc),
                    }
                    for c in p.cookies
                ],
            }
            for p in self.registry.values()
        ]


def components(app: Flask | None = None) -> Components:
    """The consent components of ``app`` (the current app by default)."""
    app = app or cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    found = app.extensions.get("consent")
    if not isinstance(found, Components):
        raise ConfigurationError(
            "flask_consent is not set up on this app: call Consent(app) or consent.init_app(app)."
        )
    return found

