"""A per-client rate limit on ``POST /consent``, through Flask-Limiter when it is installed.

Unchanged choices already write nothing; the limit stops a bot from growing the consent log by flipping its
choice over and over. It is wired only when Flask-Limiter is importable (the ``ratelimit`` extra) and
``CONSENT_RATE_LIMIT`` is set; ``None`` or ``False`` turns it off. Breaches answer 429 with ``Retry-After``.
"""

from __future__ import annotations

import math
import time
from typing import Any, cast

from flask import Flask, Response, jsonify, request

#: The endpoint the limit applies to.
ENDPOINT = "consent.choose"


def limiter_installed() -> bool:
    try:
        import flask_limiter  # noqa: F401
    except ImportError:
        return False
    return True


def wire_rate_limit(app: Flask) -> Any | None:
    """Limit ``POST /consent`` per client address; return the ``Limiter``, or None when off or not installed.

    The extension keeps a limiter of its own (its keys prefixed ``flask_consent``) so that an app's own
    Flask-Limiter set-up, default limits included, is left as it is.
    """
    rate = app.config["CONSENT_RATE_LIMIT"]
    if not rate or not limiter_installed():
        return None
    from flask_limiter import Limiter, RequestLimit
    from flask_limiter.util import get_remote_address

    def breached(limit: RequestLimit) -> Response:
        retry_after = max(1, math.ceil(limit.reset_at - time.time()))
        message = "Too many consent changes from this address; try again later."
        if request.is_json or request.accept_mimetypes.best == "application/json":
            response = jsonify(error="rate_limited", message=message, retry_after=retry_after)
        else:
            response = Response(message, mimetype="text/plain")
        response.status_code = 429
        response.headers["Retry-After"] = str(retry_after)
        return response

    limiter = Limiter(
        app.config["CONSENT_RATE_LIMIT_KEY"] or get_remote_address,
        storage_uri=app.config["CONSENT_RATE_LIMIT_STORAGE_URI"],
        key_prefix="flask_consent",
        default_limits=[],
        headers_enabled=False,
    )
    # Only POST /consent is limited, and its decorator checks the limit itself. Registered beforehand,
    # init_app skips the app-wide request hooks it would otherwise add, which cost every page view ~50 µs.
    app.extensions.setdefault("limiter", set()).add(limiter)
    limiter.init_app(app)
    view = app.view_functions[ENDPOINT]
    app.view_functions[ENDPOINT] = cast(Any, limiter.limit(rate, methods=["POST"], on_breach=breached)(view))
    return limiter
