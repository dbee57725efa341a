"""What the request says about the visitor: the consent cookie, the GPC signal and the locale.

Each fact has one reading here, which everything else calls.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Request

from .cookie import CookieCodec, state_from_payload
from .i18n import select_locale
from .purposes import PurposeRegistry
from .settings import Settings
from .state import ConsentState


def gpc_signal(request: Request) -> bool:
    """True when the request carries a Global Privacy Control signal.

    That is ``Sec-GPC: 1`` from the browser (exactly "1", C18), or ``X-GPC: 1``, which the banner script
    sends when ``navigator.globalPrivacyControl`` is true (page scripts cannot set ``Sec-`` headers). Either
    can only refuse purposes, never grant them, so accepting it from a script is safe.
    """
    environ = request.environ  # a miss in werkzeug's header lookup raises and catches an exception
    return environ.get("HTTP_SEC_GPC") == "1" or environ.get("HTTP_X_GPC") == "1"


def consent_cookie(request: Request, settings: Settings) -> str | None:
    """The raw consent cookie, or None."""
    return request.cookies.get(settings.cookie_name)


def read_state(request: Request, settings: Settings, registry: PurposeRegistry, codec: CookieCodec) -> ConsentState:
    """The visitor's consent state for this request: their verified cookie (or *undecided*) and GPC signal."""
    now = datetime.now(timezone.utc)
    payload = codec.loads(consent_cookie(request, settings), now=now, max_age=settings.max_age)
    return state_from_payload(
        payload, registry, policy_version=settings.policy_version, max_age=settings.max_age, now=now,
        gpc=gpc_signal(request),
    )


def request_locale(settings: Settings) -> str:
    """The request's locale: ``CONSENT_LOCALE_SELECTOR``, else Flask-Babel's, else ``Accept-Language``."""
    return select_locale(settings.locale_selector)


def secure_request(request: Request, settings: Settings) -> bool:
    """Whether the extension's cookies are ``Secure``: as configured, else as the request's scheme."""
    return request.is_secure if settings.cookie_secure is None else settings.cookie_secure
