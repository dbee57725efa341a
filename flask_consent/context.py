"""What the extension keeps about the current request, on ``flask.g``."""

from __future__ import annotations

from typing import cast

from flask import g

from .purposes import Purpose
from .state import ConsentState

#: Entries a per-request cache keeps before it starts over (their keys partly come from the client).
_CACHE_LIMIT = 1024


class _Request:
    """What the extension keeps about the current request (on ``flask.g``).

    The defaults are class attributes, so making one (on most page views) sets nothing; a request only
    stores what it changes. ``withdrawn`` is replaced, never appended to in place.
    """

    state: ConsentState | None = None
    new_state: ConsentState | None = None
    #: Purposes a choice withdrew during this request (their cookies are expired in the response).
    withdrawn: tuple[Purpose, ...] = ()
    rendered = False
    locale: str | None = None
    touched = False
    #: This request's consent-form token, and the new CSRF cookie value to set (first token only).
    csrf_token: str | None = None
    csrf_cookie: str | None = None
    #: True once this request's GPC signal was honoured (see ``Consent.state``).
    gpc_done = False


def _req() -> _Request:
    """This request's :class:`_Request`, created on first use."""
    ctx_g = g._get_current_object()  # one context lookup instead of one per attribute
    r = ctx_g.__dict__.get("_consent")
    if r is None:
        r = ctx_g.__dict__["_consent"] = _Request()  # as ``g._consent = ...`` does, without its __setattr__
    return cast(_Request, r)
