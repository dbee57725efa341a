"""What the end of a request does to its response, step by step: honour GPC, filter cookies, write the
extension's cookies, inject the banner, vary on the cookie.

:func:`finish` runs on Flask's ``request_finished`` signal, after every ``after_request`` hook and
``after_this_request`` callback of the app (see ``Consent.init_app``), so the cookies those set are filtered too.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from flask import Request, request
from werkzeug.http import parse_options_header
from werkzeug.wrappers import Response

from .banner import banner
from .components import Components
from .context import (
    RequestConsent,
    consent_state,
    csrf_cookie_name,
    current_request_consent,
    mark_private,
    request_consent,
)
from .enforcement import expire_withdrawn, filter_set_cookies
from .visitor import gpc_signal, secure_request


@dataclass
class Headers:
    """What the steps need to know of the response's headers, read in one pass (a header lookup that misses,
    the usual case, costs werkzeug an exception)."""

    content_type: str = ""
    set_cookie: bool = False
    vary: bool = False
    #: ``text/html``, with or without parameters.
    html: bool = False

    @classmethod
    def of(cls, response: Response) -> Headers:
        found = cls()
        for name, value in response.headers:
            lower = name.lower()
            if lower == "content-type":
                found.content_type = value
            elif lower == "set-cookie":
                found.set_cookie = True
            elif lower == "vary":
                found.vary = True
        kind = found.content_type
        found.html = kind[:9].lower() == "text/html" and kind[9:10] in ("", ";", " ")
        return found


def finish(response: Response) -> Response:
    """Apply the request's consent to the response about to be sent."""
    headers = Headers.of(response)
    r = current_request_consent()
    req: Request = r.request if r is not None else request._get_current_object()  # type: ignore[attr-defined]
    page = _page(response, req) if headers.html and not (r is not None and r.rendered) else None
    if r is None and page is None and not headers.set_cookie and not gpc_signal(req):
        return response  # nothing met the extension and nothing in the response is for it
    r = r or request_consent()
    comps = r.comps
    honour_gpc(r)
    if headers.set_cookie:
        filter_cookies(response, r, comps)
    if page is not None and comps.settings.auto_inject:
        inject(response, page, headers, r)
    write_cookies(response, r, comps)
    vary(response, r, headers)
    if r.private:
        mark_private(response)
    return response


def honour_gpc(r: RequestConsent) -> None:
    """A GPC signal is honoured (its refusals recorded) even on a response that never read the state."""
    if r.state is None and gpc_signal(r.request):
        consent_state(r)


def filter_cookies(response: Response, r: RequestConsent, comps: Components) -> None:
    """Drop each ``Set-Cookie`` of a purpose this visitor has not granted (C6)."""
    settings = comps.settings
    filter_set_cookies(
        response,
        consent_state(r),
        comps.registry,
        undeclared=settings.undeclared_cookies,
        always_allowed=(settings.cookie_name, settings.session_cookie_name),
        seen=comps.cookie_notes.first_time,
    )


def write_cookies(response: Response, r: RequestConsent, comps: Components) -> None:
    """Set the new consent cookie after a change (or expire it when the device forgets its visitor), expire
    the cookies of withdrawn purposes, and set a new CSRF cookie when a token was issued for one."""
    if not (r.forget or r.changed is not None or r.withdrawn or r.csrf_cookie is not None):
        return
    settings = comps.settings
    secure = secure_request(r.request, settings)
    common = {"httponly": True, "secure": secure, "samesite": settings.cookie_samesite, "path": "/"}
    if r.forget:
        response.delete_cookie(settings.cookie_name, domain=settings.cookie_domain, **common)  # type: ignore[arg-type]
    elif r.changed is not None:
        response.set_cookie(
            settings.cookie_name, comps.codec.dumps(r.changed), max_age=settings.cookie_lifetime,
            domain=settings.cookie_domain, **common,  # type: ignore[arg-type]
        )
    if r.withdrawn:
        expire_withdrawn(response, r.withdrawn, r.request.cookies, secure=secure, samesite=settings.cookie_samesite)
    if r.csrf_cookie is not None:
        # For this browser session only; never with a Domain, which the __Host- prefix forbids.
        response.set_cookie(csrf_cookie_name(r), r.csrf_cookie, **common)  # type: ignore[arg-type]


def _page(response: Response, req: Request) -> tuple[bytes, int] | None:
    """An HTML page's body and where its ``<body>`` tag ends, or None when there is nothing to insert into: a
    streamed or passed-through body, a HEAD request, no ``<body>`` tag."""
    if response.direct_passthrough or response.is_streamed or req.method == "HEAD":
        return None
    body = response.get_data()
    at = _after_body_tag(body)
    return None if at < 0 else (body, at)


def inject(response: Response, page: tuple[bytes, int], headers: Headers, r: RequestConsent) -> None:
    """Insert the banner (or the reopen control) into an HTML page (``text/html``) that did not render it.

    It goes right after the opening ``<body>`` tag, so that keyboard users reach it first (C29). The
    fragment is encoded in the page's charset, with character references for what that charset cannot hold.
    """
    body, at = page
    fragment = _encoded(banner(r), _charset(headers.content_type))
    view = memoryview(body)  # the page is copied once, by the join
    response.set_data(b"".join((view[:at], fragment, view[at:])))


def _after_body_tag(body: bytes) -> int:
    """The index just after the opening ``<body ...>`` tag, or -1 when the page has none."""
    lower = body if b"<body" in body else body.lower()  # a copy only for a page that spells it otherwise
    start = lower.find(b"<body")
    while start >= 0 and lower[start + 5:start + 6] not in (b">", b" ", b"\t", b"\n", b"\r", b"/"):
        start = lower.find(b"<body", start + 5)
    if start < 0:
        return -1
    end = body.find(b">", start)
    return -1 if end < 0 else end + 1


def _encoded(text: str, charset: str) -> bytes:
    """``text`` in ``charset``, with character references for what the charset cannot hold (tried only when
    needed: the error handler makes the encoder several times slower even when nothing needs it)."""
    try:
        return text.encode(charset)
    except UnicodeEncodeError:
        return text.encode(charset, "xmlcharrefreplace")


def _charset(content_type: str) -> str:
    """The charset of a ``Content-Type`` if Python knows it, else ASCII (the part every page charset shares)."""
    if content_type == "text/html; charset=utf-8":  # what Flask gives every page it renders
        return "utf-8"
    name = parse_options_header(content_type)[1].get("charset") or "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "ascii"


def vary(response: Response, r: RequestConsent, headers: Headers) -> None:
    """``Vary: Cookie`` when the response depends on the visitor's consent."""
    if not r.touched:
        return
    if headers.vary:
        response.vary.add("Cookie")
    else:  # the usual case: no Vary yet, so nothing to parse and re-write
        response.headers.add("Vary", "Cookie")
