"""The current request's consent: its state (``current_consent``), its changes and what they leave to do.

A request reads the visitor's state once (:func:`consent_state`), the first time anything asks; a Global
Privacy Control signal is honoured right then. A change (a choice, a GPC refusal, a sign-in merge) goes
through :func:`record_change`, which writes the record and notes what the response must do: set the new
cookie, expire the cookies of withdrawn purposes. ``response.py`` does those at the end of the request.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from flask import Flask, Request, current_app, g, request
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response

from .components import Components, components
from .csrf import new_value, valid_value
from .purposes import Purpose
from .recording import RequestFacts, checked_user_id
from .signals import consent_changed
from .state import ConsentState, new_id, undecided
from .store import ConsentRecord
from .visitor import gpc_signal, read_state, request_locale, secure_request


class RequestConsent:
    """What the extension knows and changed during one request (kept on ``flask.g``).

    It holds the app, its components and the request, looked up once: the request's consent steps read them
    from here rather than through Flask's context proxies, each attribute read through which costs about a
    microsecond.
    """

    def __init__(self, app: Flask, request: Request) -> None:
        self.app = app
        self.comps: Components = components(app)
        self.request = request
        #: The visitor's state as their cookie holds it, before anything this request changed.
        self.read: ConsentState | None = None
        #: The visitor's state as of now in this request (after any change made during it).
        self.state: ConsentState | None = None
        #: The state a change made during this request: the response sets it as the new cookie.
        self.changed: ConsentState | None = None
        #: Purposes a change withdrew: the response expires their cookies.
        self.withdrawn: tuple[Purpose, ...] = ()
        #: True once the banner or an extension page was rendered (nothing to inject then).
        self.rendered = False
        #: True once anything read the consent state: the response then varies on the cookie.
        self.touched = False
        #: True when the member signed out: the device becomes a new visitor (its cookie is expired).
        self.forget = False
        self.locale: str | None = None
        #: True when the answer carries personal data or a token: the response is marked ``no-store`` at the
        #: very end, after the app's own hooks (which might set a cacheable ``Cache-Control``).
        self.private = False
        #: This request's consent-form token, and the new CSRF cookie value to set (first token only).
        self.csrf_token: str | None = None
        self.csrf_cookie: str | None = None


def request_consent() -> RequestConsent:
    """This request's :class:`RequestConsent`, made on first use."""
    found = current_request_consent()
    if found is None:
        found = RequestConsent(current_app._get_current_object(), request._get_current_object())  # type: ignore[attr-defined]
        g._get_current_object()._flask_consent = found
    return found


def current_request_consent() -> RequestConsent | None:
    """This request's :class:`RequestConsent` if anything made one yet, else None.

    One kept on ``g`` for another request is not this one's: ``g`` lives as long as the app context, which
    several requests may share (an app context pushed around test requests).
    """
    found = g._get_current_object().get("_flask_consent")
    if found is None or found.request is not request._get_current_object():  # type: ignore[attr-defined]
        return None
    return cast(RequestConsent, found)


def consent_state(r: RequestConsent | None = None) -> ConsentState:
    """The visitor's consent state for the current request (``r``: its :class:`RequestConsent`, when the
    caller holds it already).

    The first read decodes the cookie and honours a GPC signal (its refusals are recorded before anything
    sees the state).
    """
    r = r or request_consent()
    r.touched = True
    if r.state is None:
        comps = r.comps
        r.state = cookie_state(r)
        if r.state.gpc:
            honour_gpc(r, comps)
    return r.state


def cookie_state(r: RequestConsent) -> ConsentState:
    """The visitor's state as their cookie holds it (read once per request), before anything this request
    changed: before a GPC signal's refusals are recorded, before a choice."""
    if r.read is None:
        comps = r.comps
        r.read = read_state(r.request, comps.settings, comps.registry, comps.codec)
    return r.read


#: The consent state of the current request (a :class:`ConsentState`).
current_consent: ConsentState = cast(ConsentState, LocalProxy(consent_state))


def honour_gpc(r: RequestConsent, comps: Components) -> None:
    """Record the refusals a GPC signal makes, once per visitor, within the consent rate limit.

    Beyond the limit (a flood of cookieless requests with the signal) nothing is written, but the state still
    refuses every GPC purpose on each request: the signal is honoured either way.
    """
    assert r.state is not None
    after = r.state.apply_gpc(record_id=new_id(16))
    if after is None:
        return
    if comps.limiter is not None and comps.limiter.hit("gpc") is not None:
        return
    record_change(r.state, after, method="gpc", r=r)


def locale(r: RequestConsent | None = None) -> str:
    """The current request's locale (read once per request)."""
    r = r or request_consent()
    if r.locale is None:
        r.locale = request_locale(r.comps.settings)
    return r.locale


def locale_source(r: RequestConsent | None = None) -> object:
    """What decides this request's locale, for keys of kept markup: the locale once it is known; before that,
    when no locale selector and no Flask-Babel can decide it, the ``Accept-Language`` value itself (the locale
    is a function of it), so a page that only shows kept markup never negotiates one."""
    r = r or request_consent()
    if r.locale is not None:
        return r.locale
    if r.comps.settings.locale_selector is None and "babel" not in r.app.extensions:
        return ("accept-language", r.request.environ.get("HTTP_ACCEPT_LANGUAGE", ""))
    return locale(r)


def record_change(
    before: ConsentState, after: ConsentState, *, method: str, r: RequestConsent | None = None
) -> ConsentRecord | None:
    """Record the change from ``before`` to ``after``, queue the new cookie and send ``consent_changed``.

    Returns None (and changes nothing) when the decisions did not change.
    """
    r = r or request_consent()
    comps = r.comps
    if after.record_id is None:
        after = replace(after, record_id=new_id(16))
    facts = RequestFacts(
        locale=locale(r),
        user_id=signed_in_id(r.app),  # the recorder stores it as the log keeps ids
        remote_addr=r.request.remote_addr,
        user_agent=r.request.headers.get("User-Agent"),
    )
    record = comps.recorder.commit(before, after, method=method, facts=facts)
    if record is None:
        return None
    r.state = r.changed = after
    r.forget = False  # a device that forgot its visitor earlier in this request gets this new cookie instead
    # Any stored grant counts, even one that no longer holds (a new policy, an expiry) or that a GPC signal
    # already refuses on this request: the browser may still hold its cookies, and this refusal must expire them.
    r.withdrawn = (*r.withdrawn, *(
        p for p in comps.registry.optional
        if (d := before.decisions.get(p.key)) is not None and d.granted and not after.granted(p.key)
    ))
    consent_changed.send(r.app, before=before, after=after, record=record)
    return record


def forget_visitor() -> None:
    """Make this device a new visitor (after sign-out): its consent cookie goes, the banner asks again."""
    r = request_consent()
    comps = r.comps
    before = r.state or cookie_state(r)  # a device being forgotten never records a GPC refusal first
    r.touched = True
    r.forget = True
    r.changed = None
    # The member's purposes go with their choice: their cookies (browsing history, say) leave the device too,
    # those of a grant that no longer holds (a new policy, an expiry) included: the browser may still hold them.
    r.withdrawn = (*r.withdrawn, *(
        p for p in comps.registry.optional if (d := before.decisions.get(p.key)) is not None and d.granted
    ))
    r.state = undecided(comps.registry, comps.settings.policy_version, comps.settings.max_age,
                        gpc=gpc_signal(r.request))


def member_id(app: Flask | None = None) -> str | None:
    """The signed-in Flask-Login user's id as the log keeps it (see ``checked_user_id``), or None (no
    Flask-Login, or nobody signed in)."""
    return checked_user_id(signed_in_id(app))


def signed_in_id(app: Flask | None = None) -> str | None:
    """The signed-in Flask-Login user's ``get_id()`` as the app gives it, or None."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if "login_manager" not in app.extensions and not hasattr(app, "login_manager"):
        return None
    try:
        from flask_login import current_user
    except ImportError:  # pragma: no cover - Flask-Login is optional
        return None
    if current_user and current_user.is_authenticated:
        return str(current_user.get_id())
    return None


def private(response: Response) -> Response:
    """Mark an answer that carries personal data or a token: never cached, never sniffed (the response steps
    set the same headers again after every ``after_request`` hook)."""
    request_consent().private = True
    mark_private(response)
    return response


def mark_private(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"


def csrf_cookie_name(r: RequestConsent | None = None) -> str:
    """The consent forms' CSRF cookie of this request: ``__Host-`` prefixed over HTTPS (no cookie tossing)."""
    r = r or request_consent()
    settings = r.comps.settings
    name = settings.csrf_cookie_name
    return f"__Host-{name}" if secure_request(r.request, settings) else name


def csrf_token(r: RequestConsent | None = None) -> str:
    """This request's token for the consent forms; a browser without a CSRF cookie yet gets a new value,
    which the response sets."""
    r = r or request_consent()
    if r.csrf_token is None:
        value = r.request.cookies.get(csrf_cookie_name(r))
        if not valid_value(value):
            value = r.csrf_cookie = new_value()
        r.csrf_token = r.comps.csrf.token(value)  # type: ignore[arg-type]
    return r.csrf_token
