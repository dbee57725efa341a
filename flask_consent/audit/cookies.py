"""Which cookies a visitor may be given: the app's purposes decide, through its purpose registry."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Protocol

from flask import Flask
from werkzeug.http import parse_date

if TYPE_CHECKING:
    from flask_consent import Purpose


class Registry(Protocol):
    """What the audit reads of ``app.extensions["consent"].registry``."""

    def purpose_of_cookie(self, name: str) -> Purpose | None: ...


def registry_of(app: Flask) -> Registry:
    """The app's purpose registry; a clear error when the app does not use the extension."""
    ext = app.extensions.get("consent")
    if ext is None:
        raise RuntimeError("The consent audit needs an app set up with flask_consent.Consent(app, purposes=[...]).")
    registry: Registry = ext.registry
    return registry


def own_cookies(app: Flask) -> frozenset[str]:
    """The extension's own cookies (the consent cookie and its CSRF cookie): the audit never reports them."""
    name = str(app.config.get("CONSENT_COOKIE_NAME", "consent"))
    return frozenset({name, f"{name}_csrf"})


def is_deletion(header: str) -> bool:
    """True when a ``Set-Cookie`` header only removes its cookie (``Max-Age`` <= 0 or an expiry passed)."""
    for attr in header.split(";")[1:]:
        key, _, value = attr.strip().partition("=")
        key = key.strip().lower()
        if key == "max-age":
            try:
                if int(value.strip()) <= 0:
                    return True
            except ValueError:
                continue
        elif key == "expires":
            when = parse_date(value.strip())
            if when is not None and when <= datetime.now(timezone.utc):
                return True
    return False


def set_cookie_names(headers: Iterable[str], ignore: Collection[str]) -> Iterator[str]:
    """The names of the cookies ``headers`` (``Set-Cookie`` values) set, leaving out deletions and ``ignore``."""
    for header in headers:
        name = header.split("=", 1)[0].strip()
        if name and name not in ignore and not is_deletion(header):
            yield name


def cookie_problem(kind: str, name: str, registry: Registry, granted: Collection[str]) -> str | None:
    """What is wrong with a visitor holding cookie (or storage key) ``name``, or None when nothing is.

    ``kind`` names how it got there ("sets cookie", "a script wrote cookie"). A cookie of a required
    purpose or of a purpose in ``granted`` is fine; any other is a problem, naming the purpose.
    """
    purpose = registry.purpose_of_cookie(name)
    if purpose is None:
        return f"{kind} {name!r}, which no purpose declares"
    if purpose.required or purpose.key in granted:
        return None
    return f"{kind} {name!r} of purpose {purpose.key!r}, which this visitor has not granted"


def granted_keys(state: Mapping[str, object] | None) -> frozenset[str]:
    """The purposes granted in a ``GET /consent/state`` answer (none when it could not be read)."""
    granted = (state or {}).get("granted")
    return frozenset(str(k) for k in granted) if isinstance(granted, list) else frozenset()
