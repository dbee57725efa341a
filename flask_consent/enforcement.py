"""Server-side enforcement: no cookie of a refused purpose reaches the browser (C6)."""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path

from werkzeug.http import parse_date
from werkzeug.wrappers import Response

from .purposes import Purpose, PurposeRegistry
from .state import ConsentState

log = logging.getLogger("flask_consent")

_GLOB = re.compile(r"[*?\[]")
_MAX_AGE = re.compile(r"-?[0-9]+")


def _is_deletion(header: str) -> bool:
    """True when ``header`` only removes a cookie: its expiry, read as a browser reads it, is already past.

    RFC 6265 (5.2 and 5.3): the last valid ``Max-Age`` decides when there is one (zero or less removes the
    cookie), whatever ``Expires`` says; otherwise the last ``Expires`` that parses as a date does. Only the
    attributes are read, never the value, so a cookie whose value merely contains "max-age=0" cannot slip
    past the filter.
    """
    max_age_deletes: bool | None = None
    expires: datetime | None = None
    for attr in header.split(";")[1:]:
        name, _, value = attr.partition("=")
        name, value = name.strip().lower(), value.strip()
        if name == "max-age" and _MAX_AGE.fullmatch(value):
            max_age_deletes = value[0] == "-" or value.strip("0") == ""  # negative or zero, however long
        elif name == "expires":
            expires = _browser_date(value) or expires  # a browser ignores an Expires it cannot read
    if max_age_deletes is not None:
        return max_age_deletes
    return expires is not None and expires <= datetime.now(timezone.utc)


def _browser_date(value: str) -> datetime | None:
    """An ``Expires`` date only when a browser reads it as werkzeug does.

    RFC 6265 (5.1.1) reads a two-digit year 70-99 as 19xx and 0-69 as 20xx, where Python reads 69 as 1969; and
    it ignores a date before 1601, which Python accepts. Such a date must not pass for a deletion.
    """
    when = parse_date(value)
    if when is None or when.year < 1601:
        return None
    if str(when.year) not in value:  # a two-digit year
        two = when.year % 100
        if when.year != (1900 + two if two >= 70 else 2000 + two):
            return None
    return when


def _as_stored(name: str) -> str:
    """A cookie name as the browser stores it. WSGI holds header text as latin-1, so a name werkzeug wrote
    (or a browser sent) as UTF-8 bytes arrives mangled: ``suivi_é`` as ``suivi_Ã©``."""
    try:
        return name.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return name


def filter_set_cookies(
    response: Response,
    state: ConsentState,
    registry: PurposeRegistry,
    *,
    undeclared: str,
    always_allowed: Iterable[str],
    seen: Callable[[str, str], bool],
) -> None:
    """Drop each ``Set-Cookie`` of a purpose that is not granted (and undeclared ones in ``block`` mode).

    Deleting a cookie is always let through. ``seen(kind, name)`` returns True the first time a name is
    reported, so each name is logged once, not once per request.
    """
    headers = response.headers.getlist("Set-Cookie")
    allowed = set(always_allowed)
    keep: list[str] = []
    for header in headers:
        name = _as_stored(header.split("=", 1)[0].strip())
        if name in allowed or _is_deletion(header):
            keep.append(header)
            continue
        purpose = registry.purpose_of_cookie(name)
        if purpose is None:
            # Noted for ``flask consent audit`` in every mode; "allow" is the explicit choice not to be warned.
            if seen("undeclared", name) and undeclared != "allow":
                log.warning(
                    "Cookie %r is set but no Purpose declares it; add it to a Purpose's cookies=[...] "
                    "(CONSENT_UNDECLARED_COOKIES=%r).", name, undeclared,
                )
            if undeclared != "block":
                keep.append(header)
            continue
        if purpose.required or state.granted(purpose.key):
            keep.append(header)
        elif seen("blocked", name):
            log.info("Blocked cookie %r: purpose %r is not granted.", name, purpose.key)
    if len(keep) != len(headers):
        del response.headers["Set-Cookie"]
        for header in keep:
            response.headers.add("Set-Cookie", header)


def expire_withdrawn(
    response: Response,
    withdrawn: Iterable[Purpose],
    request_cookies: Mapping[str, str],
    *,
    secure: bool,
    samesite: str | None,
) -> list[str]:
    """Expire the cookies of withdrawn purposes, with their declared path and domain, so HttpOnly cookies
    that page scripts cannot touch go too. Returns the names.

    Every cookie the request carried that a declaration matches is expired; so is a cookie declared by an
    exact name on a narrower path (``/shop``), carried or not, because it never reaches ``POST /consent``
    yet must still go. A cookie on path ``/`` that the request did not carry is not in the browser.
    """
    expired: list[str] = []
    for purpose in withdrawn:
        for decl in purpose.cookies:
            names = [_as_stored(name) for name in request_cookies if decl.matches(_as_stored(name))]
            if not names and decl.path != "/" and not _GLOB.search(decl.pattern):
                names = [decl.pattern]
            for name in names:
                if name in expired:
                    continue
                response.delete_cookie(
                    name, path=decl.path, domain=decl.domain, secure=secure, httponly=True, samesite=samesite
                )
                expired.append(name)
    return expired


class CookieNotes:
    """The cookies an app was seen setting that no purpose declares (for ``flask consent check``), and which
    names were already logged, so each name is logged once per process, not once per request.

    Undeclared names are also appended to ``consent-undeclared-cookies.txt`` in the instance folder, so the
    CLI, a different process, sees them too.
    """

    def __init__(self, instance_path: str):
        self.path = Path(instance_path) / "consent-undeclared-cookies.txt"
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def first_time(self, kind: str, name: str) -> bool:
        """True the first time ``(kind, name)`` is seen; an ``undeclared`` name is also written down."""
        with self._lock:
            if (kind, name) in self._seen:
                return False
            self._seen.add((kind, name))
        if kind == "undeclared":
            try:
                os.makedirs(self.path.parent, exist_ok=True)
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(name + "\n")
            except OSError:
                log.debug("could not note undeclared cookie %r", name, exc_info=True)
        return True

    def undeclared(self) -> list[str]:
        """Names of cookies seen set by the app that no purpose declares."""
        names = {n for k, n in self._seen if k == "undeclared"}
        try:
            with open(self.path, encoding="utf-8") as f:
                names.update(line.strip() for line in f if line.strip())
        except OSError:
            pass
        return sorted(names)
