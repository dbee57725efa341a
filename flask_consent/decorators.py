"""``@consent_required``: run a view only for visitors who granted a purpose."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, jsonify, render_template, request, url_for
from werkzeug.wrappers import Response

from .banner import template_context
from .components import components
from .context import consent_state, private, request_consent
from .forms import current_path, home, referrer_path, safe_next, wants_json

F = TypeVar("F", bound=Callable[..., Any])


def consent_required(key: str, fallback: Callable[..., Any] | None = None) -> Callable[[F], F]:
    """Run the view only when purpose ``key`` is granted.

    Otherwise call ``fallback`` with the same arguments (a non-personalised alternative), or, without a
    fallback, answer HTML clients with a just-in-time prompt page and JSON clients with a 403
    ``{"error": "consent_required", ...}``. An unknown ``key`` fails when the app starts.
    """
    if not isinstance(key, str) or not key:
        raise TypeError("consent_required takes a purpose key, e.g. @consent_required('location').")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if consent_state().granted(key):
                return view(*args, **kwargs)
            components().registry.require(key)  # an undeclared key is caught at start-up; this names it otherwise
            if fallback is not None:
                return fallback(*args, **kwargs)
            return refuse(key)

        wrapper.__consent_purposes__ = (*getattr(view, "__consent_purposes__", ()), key)  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return decorator


def refuse(key: str) -> Response:
    """The answer to a request for a feature whose purpose is not granted."""
    grant_url = url_for("consent.choose")
    if wants_json():
        response = jsonify(
            error="consent_required",
            purpose=key,
            grant_url=grant_url,
            message=f"This feature needs consent for {key!r}: POST {{'action': 'grant', 'purposes': ['{key}']}} "
            f"to {grant_url}.",
        )
        response.status_code = 403
        return response
    request_consent().rendered = True
    purpose = components().registry[key]
    back = safe_next(request.args.get("back")) or _referrer_path() or home(request)
    # After allowing, the browser comes back with a GET: to the page itself, or for a refused form post
    # (which a redirect cannot repeat) to the page that held the form.
    again = current_path(request) if request.method == "GET" else back
    html = render_template(
        "consent/prompt.html", **template_context(purpose=purpose, next=again, back=back)
    )
    response = current_app.make_response((html, 403))
    response.vary.add("Cookie")
    return private(response)  # it carries this visitor's form token


def _referrer_path() -> str | None:
    path = referrer_path(request)
    return None if path == current_path(request) else path
