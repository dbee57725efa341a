"""Reading a consent choice from a form post or a JSON body, and checking its CSRF token and ``next``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Request
from flask import request as flask_request
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from .csrf import PREFIX, CsrfSigner
from .exc import ChoiceError
from .state import ACTIONS, SCOPES

_MAX_PURPOSES = 64
_UNSAFE_NEXT = re.compile(r"[\x00-\x20\x7f\\]")
#: A plain path (``/``, ``/cart/checkout``): nothing encoded, no query, no scheme, not ``//``: safe as it is.
_PLAIN_PATH = re.compile(r"/(?:[A-Za-z0-9_.~-][A-Za-z0-9_.~/-]*)?")


@dataclass(frozen=True)
class Choice:
    """A visitor's choice as sent to ``POST /consent``."""

    action: str
    purposes: tuple[str, ...]
    scope: str
    next: str | None
    is_json: bool


def csrf_ok(request: Request, signer: CsrfSigner, cookie_value: str | None, time_limit: float | None) -> bool:
    """True when the request carries a valid CSRF token (form field ``csrf_token`` or ``X-CSRFToken``).

    The consent forms' own token (:mod:`flask_consent.csrf`) is checked against this browser's CSRF
    cookie; any other token is checked by Flask-WTF against the session, so an app's own form that posts to
    ``/consent`` with Flask-WTF's ``csrf_token()`` keeps working. A browser that says the post comes from
    another site (``Sec-Fetch-Site: cross-site``) is refused whatever it carries.
    """
    environ = request.environ
    if environ.get("HTTP_SEC_FETCH_SITE") == "cross-site":
        return False
    token = environ.get("HTTP_X_CSRFTOKEN") or environ.get("HTTP_X_CSRF_TOKEN")
    if not token and not request.is_json:
        token = request.form.get("csrf_token")
    if not token or len(token) > 512:
        return False
    if token.startswith(PREFIX):
        return signer.check(token, cookie_value, time_limit)
    try:
        validate_csrf(token)
    except ValidationError:
        return False
    return True


def _text(value: Any, name: str, default: str) -> str:
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        raise ChoiceError(f"'{name}' must be a string.")
    return value


def read_choice(request: Request) -> Choice:
    """Parse the choice; raises :class:`ChoiceError` with a message fit for the client."""
    json_body = request.is_json
    if json_body:
        try:
            data = request.get_json(silent=True)
        except RecursionError:  # JSON nested deeper than Python's parser goes: a bad request, not a 500
            data = None
        if not isinstance(data, dict):
            raise ChoiceError("The JSON body must be an object with 'action', 'purposes' and 'scope'.")
        purposes = data.get("purposes", [])
        if not isinstance(purposes, list) or not all(isinstance(p, str) for p in purposes):
            raise ChoiceError("'purposes' must be a list of purpose keys (strings).")
        action = _text(data.get("action"), "action", "")
        scope = _text(data.get("scope"), "scope", "all")
        nxt = data.get("next")
        nxt = nxt if isinstance(nxt, str) else None
    else:
        form = request.form
        purposes = form.getlist("purposes")
        action = form.get("action", "")
        scope = form.get("scope") or "all"
        nxt = form.get("next")
    if action not in ACTIONS:
        raise ChoiceError(f"'action' must be one of {', '.join(ACTIONS)}.")
    if scope not in SCOPES:
        raise ChoiceError("'scope' must be 'all' or 'due'.")
    if len(purposes) > _MAX_PURPOSES:
        raise ChoiceError("Too many purposes.")
    return Choice(action, tuple(dict.fromkeys(purposes)), scope, nxt, json_body)


def wants_json(default_json: bool = False) -> bool:
    """True for JSON clients: a JSON body, or ``Accept`` preferring JSON over HTML. A client that names
    neither (no ``Accept``, ``*/*``) gets ``default_json``."""
    req = flask_request
    if req.is_json:
        return True
    header = req.headers.get("Accept", "")
    if "json" not in header and "application/*" not in header:
        return default_json and "text/html" not in header
    return req.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def current_path(request: Request) -> str:
    """The URL path (and query) of ``request`` as the browser sees it, mount point (``SCRIPT_NAME``) included."""
    return request.script_root + request.full_path.rstrip("?")


def home(request: Request) -> str:
    """The app's root as the browser sees it: where a choice returns when ``next`` cannot be trusted."""
    return request.script_root + "/"


def safe_next(value: str | None) -> str | None:
    """``value`` when it is a same-site relative path (``/cart?x=1``), else None.

    Refuses scheme-relative (``//evil``), backslash, encoded, whitespace, control-character and
    ``javascript:`` targets: anything a browser could resolve to another origin.
    """
    if not value or not isinstance(value, str) or len(value) > 2048:
        return None
    if _PLAIN_PATH.fullmatch(value):
        return value
    if not value.startswith("/") or _UNSAFE_NEXT.search(value):
        return None
    decoded = value.split("?", 1)[0].split("#", 1)[0]
    for _ in range(3):  # look through (double) percent-encoding
        decoded = unquote(decoded)
        if decoded.startswith("//") or _UNSAFE_NEXT.search(decoded):
            return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith("//"):
        return None
    return value


def referrer_path(request: Request) -> str | None:
    """The same-site path (with query) of the ``Referer``, or None when absent, off-site, malformed or unsafe."""
    ref = request.referrer
    if not ref:
        return None
    try:
        parts = urlsplit(ref)
    except ValueError:  # a malformed Referer (e.g. "http://[") is ignored, never a 500
        return None
    if parts.netloc != request.host:
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))
