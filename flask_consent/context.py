"""What the extension keeps about the current request, on ``flask.g``."""

from __future__ import annotations

from typing import cast

from flask import g

from .purposes import Purpose
from .state import ConsentState

#: Entries a per-request cache keeps before it starts over (their keys partly come from the client).
_CACHE_LIMIT = 1024


class _Request:
    """What the extension keeps about the current request (on ``flask.g``)."""

    __slots__ = ("state", "new_state", "withdrawn", "rendered", "locale", "touched", "csrf_token", "csrf_cookie")

    def __init__(self) -> None:
        self.state: ConsentState | None = None
        self.new_state: ConsentState | None = None
        self.withdrawn: list[Purpose] = []
        self.rendered = False
        self.locale: str | None = None
        self.touched = False
        #: This request's consent-form token, and the new CSRF cookie value to set (first token only).
        self.csrf_token: str | None = None
        self.csrf_cookie: str | None = None


def _req() -> _Request:
    """This request's :class:`_Request`, created on first use."""
    ctx_g = g._get_current_object()  # one context lookup instead of one per attribute
    r = ctx_g.get("_consent")
    if r is None:
        r = ctx_g._consent = _Request()
    return cast(_Request, r)
