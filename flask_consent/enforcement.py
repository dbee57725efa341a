"""Server-side enforcement: no cookie of a refused purpose reaches the browser (C6)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

from werkzeug.wrappers import Response

from .purposes import Purpose, PurposeRegistry
from .state import ConsentState

log = logging.getLogger("flask_consent")

UNDECLARED_MODES = ("warn", "block", "allow")


def _is_deletion(header: str) -> bool:
    lowered = header.lower()
    return "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered


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
        name = header.split("=", 1)[0].strip()
        if name in allowed or _is_deletion(header):
            keep.append(header)
            continue
        purpose = registry.purpose_of_cookie(name)
        if purpose is None:
            if seen("undeclared", name):
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
    """Expire every cookie the request carried that belongs to a withdrawn purpose, with its declared
    path and domain, so HttpOnly cookies that page scripts cannot touch go too. Returns the names."""
    expired: list[str] = []
    for purpose in withdrawn:
        for name in request_cookies:
            for decl in purpose.cookies:
                if decl.matches(name):
                    response.delete_cookie(
                        name, path=decl.path, domain=decl.domain, secure=secure, httponly=True, samesite=samesite
                    )
                    expired.append(name)
                    break
    return expired
