"""Rendering the banner and the Jinja helpers (``consent_banner``, ``consent_script``, ...) for a request.

Each function takes the :class:`~flask_consent.extension.Consent` object first and is bound as a method of
it, so ``consent.banner()`` and the Jinja globals call these without an extra layer. The banner's markup is
cached on the ``Consent`` object (per app) where it does not depend on the visitor.
"""

from __future__ import annotations

import codecs
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import before_render_template, current_app, g, render_template, request, template_rendered, url_for
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from .context import _CACHE_LIMIT, _req, _Request
from .csrf import new_value, valid_value
from .exc import ConfigurationError
from .forms import current_path, home
from .gcm import gcm_default_snippet
from .i18n import strings
from .purposes import localise
from .state import ConsentState, Decision

if TYPE_CHECKING:
    from .extension import Consent

_HERE = Path(__file__).resolve().parent
#: Stand-ins rendered into the cached banner, replaced by this request's CSRF token and return path.
_CSRF_SLOT = "\x00consent-csrf\x00"
_NEXT_SLOT = "\x00consent-next\x00"
_SLOTS = re.compile(f"({_CSRF_SLOT}|{_NEXT_SLOT})")


def asset_dir(name: str) -> str:
    """``templates`` or ``static``: inside the package in a wheel, beside it in a source checkout."""
    inside = _HERE / name
    return str(inside if inside.is_dir() else _HERE.parent / name)


@dataclass(frozen=True)
class _Prompt:
    """What the banner asks a visitor: everything of their state that the banner's markup depends on."""

    reason: str | None
    due: tuple[str, ...]
    gpc: bool
    decisions: tuple[tuple[str, Decision], ...]

    @classmethod
    def of(cls, state: ConsentState) -> _Prompt | None:
        due = state.due()
        if not due:
            return None
        return cls(state.reason, tuple(p.key for p in due), state.gpc,
                   tuple(sorted(state.current_decisions().items())))


def csrf_token(ext: Consent) -> str:
    """This request's token for the consent forms (:mod:`flask_consent.csrf`).

    A browser without a CSRF cookie yet gets a new value, which ``after_request`` sets.
    """
    r = _req()
    if r.csrf_token is None:
        value = request._get_current_object().cookies.get(ext.csrf_cookie_name)  # type: ignore[attr-defined]
        if value is None or not valid_value(value):
            value = r.csrf_cookie = new_value()
        r.csrf_token = ext.csrf.token(value)
    return r.csrf_token


def policy_url(ext: Consent) -> str:
    """The privacy policy the banner links to: ``CONSENT_POLICY_URL``, else the cookie declaration page."""
    return str(current_app.config["CONSENT_POLICY_URL"] or url_for("consent.declaration"))


def nonce(ext: Consent) -> str | None:
    """This request's CSP nonce from ``CONSENT_CSP_NONCE``, or None when none is configured."""
    fn: Callable[[], str | None] | None = ext._config["CONSENT_CSP_NONCE"]
    return fn() if fn else None


def template_context(ext: Consent, **extra: Any) -> dict[str, Any]:
    """What the consent templates render with (state, strings, links, assets), plus ``extra``."""
    locale = ext.locale()
    state = ext.state()
    return {
        "state": state,
        "registry": ext.registry,
        "t": strings(locale),
        "locale": locale,
        "loc": lambda text: localise(text, locale),
        "csrf_token": ext.csrf_token,
        "policy_url": ext.policy_url(),
        "nonce": ext.nonce(),
        "assets": ext.assets(),
        **extra,
    }


def assets(ext: Consent) -> Markup:
    """The banner's stylesheet and script tags."""
    nonce = ext.nonce()
    if nonce is None and not ext._url_defaults:  # then the URLs depend on the script root only
        root = _url_root(ext, request._get_current_object())  # type: ignore[attr-defined]
        tags = ext._asset_tags.get(root)
        if tags is None:
            if len(ext._asset_tags) >= _CACHE_LIMIT:
                ext._asset_tags.clear()
            tags = ext._asset_tags[root] = _asset_markup(None)
        return tags
    return _asset_markup(nonce)


def _asset_markup(nonce: str | None) -> Markup:
    css = url_for("consent.static", filename="consent/consent.css")
    js = url_for("consent.static", filename="consent/consent.js")
    nonce_attr = Markup(' nonce="%s"') % nonce if nonce else Markup("")
    return Markup('<link rel="stylesheet" href="%s"><script type="module" src="%s"%s></script>') % (
        css, js, nonce_attr
    )


def _url_root(ext: Consent, req: Any) -> str:
    """What the URLs ``url_for`` builds in this request depend on: the script root, and the scheme and host
    too when the app matches hosts or subdomains (its URLs may then be absolute)."""
    return str(req.root_url) if ext._host_urls else str(req.root_path)


def banner(ext: Consent) -> Markup:
    """The banner when a purpose is due, otherwise the small "Privacy choices" control.

    The control a decided visitor gets is kept per raw consent cookie, GPC signal, locale and URL root while
    their decisions stand, for apps whose locale and URLs depend on nothing else (no CSP nonce, locale
    selector, Flask-Babel or URL defaults): their page view then costs a few lookups.
    """
    ctx_g = g._get_current_object().__dict__  # _req(), inline: this runs on every page view
    r = ctx_g.get("_consent")
    if r is None:
        r = ctx_g["_consent"] = _Request()
    r.rendered = True
    req = request._get_current_object()  # type: ignore[attr-defined]
    cfg = ext._config
    keep = (
        r.new_state is None and cfg["CONSENT_CSP_NONCE"] is None and cfg["CONSENT_LOCALE_SELECTOR"] is None
        and not ext._url_defaults and "babel" not in ext._extensions
    )
    if keep:
        environ = req.environ
        cookies = req.cookies  # tested first: a miss in werkzeug's lookups raises and catches an HTTP exception
        raw = cookies[ext.cookie_name] if ext.cookie_name in cookies else None
        gpc = environ.get("HTTP_SEC_GPC") == "1" or environ.get("HTTP_X_GPC") == "1"
        locale = ext._locales.get(environ.get("HTTP_ACCEPT_LANGUAGE"))  # as ``ext.locale`` finds it
        hit = ext._controls.get((raw, gpc, locale, req.root_url if ext._host_urls else req.root_path))
        if hit is not None and time.time() <= hit[0]:
            r.touched = r.gpc_done = True  # its state had no GPC refusal left to record (see below)
            return hit[1]
    prompt = ext._prompt(r, req)
    if prompt is not None:
        return _due_banner(ext, prompt, req) + ext.assets()
    key = (ext.locale(r, req), _url_root(ext, req), ext.nonce() is None)
    fragment = ext._fragments.get(key)
    if fragment is None:
        fragment = Markup(render_template(
            "consent/reopen.html", t=strings(key[0]), locale=key[0],
            preferences_url=url_for("consent.preferences"),
        ))
        if key[2]:  # no nonce: the asset tags are the same on every request too, so they go with it
            fragment += ext.assets()
        if not ext._url_defaults:  # they may change the link on each request: then nothing is kept
            if len(ext._fragments) >= _CACHE_LIMIT:
                ext._fragments.clear()
            ext._fragments[key] = fragment
    if not key[2]:
        return fragment + ext.assets()
    if keep and r.new_state is None:  # nothing changed the state during this request, GPC included
        until = ext._decoded(req).until  # when the decisions expire (at once for an untrusted cookie)
        if until > time.time():
            if len(ext._controls) >= _CACHE_LIMIT * 4:
                ext._controls.clear()
            ext._controls[(raw, gpc, key[0], key[1])] = (until, fragment)
    return fragment


def _due_banner(ext: Consent, prompt: _Prompt, req: Any) -> Markup:
    """The first layer and its details for the purposes due.

    With the package's own templates and nobody listening to template signals, the markup is rendered
    once per locale, script root, policy link and set of due purposes, with stand-ins for the CSRF
    token and the return path that are filled in per request (both escaped as Jinja would).
    """
    nxt = current_path(req) if req.method == "GET" else home(req)
    if not _banner_cacheable(ext):
        return Markup(render_template(
            "consent/banner.html", **ext.template_context(due=ext.state().due(), next=nxt, scope="due")
        ))
    key = (ext.locale(None, req), _url_root(ext, req), ext._config["CONSENT_POLICY_URL"], prompt)
    pieces = ext._banners.get(key)
    if pieces is None:
        if len(ext._banners) >= _CACHE_LIMIT:
            ext._banners.clear()
        html = render_template(
            "consent/banner.html",
            **ext.template_context(
                due=ext.state().due(), next=_NEXT_SLOT, scope="due", csrf_token=lambda: _CSRF_SLOT
            ),
        )
        pieces = ext._banners[key] = _SLOTS.split(html)  # text, slot, text, slot, ..., text
    values = {_CSRF_SLOT: str(escape(ext.csrf_token())), _NEXT_SLOT: str(escape(nxt))}
    return Markup("".join([values.get(piece, piece) if i % 2 else piece for i, piece in enumerate(pieces)]))


def _banner_cacheable(ext: Consent) -> bool:
    if (ext.nonce() is not None or ext._url_defaults or template_rendered.receivers
            or before_render_template.receivers):
        return False
    if ext._own_banner is None:
        env = current_app.jinja_env
        ours = str(Path(asset_dir("templates")) / "consent")
        ext._own_banner = all(
            str(Path(env.get_template(name).filename or "")).startswith(ours)
            for name in ("consent/banner.html", "consent/_purpose.html")
        )
    return ext._own_banner


def script(ext: Consent, purpose: str | Iterable[str], src: str | None = None, **attrs: Any) -> Markup:
    """A ``<script>`` that runs only once ``purpose`` (or any of several) is granted.

    Until then it is rendered inert (``type="text/plain"``) and the banner script activates it when the
    visitor grants the purpose.
    """
    keys = [purpose] if isinstance(purpose, str) else list(purpose)
    for k in keys:
        ext.registry.require(k)
    state = ext.state()
    live = any(state.granted(k) for k in keys)
    parts = [Markup(' data-consent="%s"') % " ".join(keys)]
    # The inert tag carries the nonce too: the banner script copies it when it activates the tag.
    nonce = ext.nonce()
    if nonce:
        parts.append(Markup(' nonce="%s"') % nonce)
    if live:
        if src:
            parts.append(Markup(' src="%s"') % src)
    else:
        parts.append(Markup(' type="text/plain"'))
        if src:
            parts.append(Markup(' data-src="%s"') % src)
    parts.extend(_attrs(attrs, skip_type=not live))
    return Markup("<script%s></script>") % Markup("").join(parts)


def iframe(ext: Consent, purpose: str, src: str, title: str, **attrs: Any) -> Markup:
    """An ``<iframe>`` shown only once ``purpose`` is granted, with a placeholder (and an "Allow" form
    that works without JavaScript) until then."""
    p = ext.registry.require(purpose)
    if ext.state().granted(purpose):
        extra = Markup("").join(_attrs(attrs))
        return Markup('<iframe src="%s" title="%s" data-consent="%s"%s></iframe>') % (src, title, purpose, extra)
    nxt = current_path(request)
    html = render_template(
        "consent/placeholder.html",
        **ext.template_context(purpose=p, src=src, title=title, attrs=attrs, next=nxt),
    )
    return Markup(html)


def gcm_default(ext: Consent, wait_for_update: int = 500) -> Markup:
    """The Google Consent Mode ``default`` command for this visitor; render it before any Google tag."""
    return gcm_default_snippet(ext.state(), ext.nonce(), wait_for_update)


def google_tag(ext: Consent, tag_id: str) -> Markup:
    """The Google tag, loaded only once ``analytics`` or ``advertising`` is granted (basic mode, C23)."""
    keys = [k for k in ("analytics", "advertising") if k in ext.registry]
    if not keys:
        raise ConfigurationError("consent_google_tag needs an 'analytics' or 'advertising' purpose.")
    src = "https://www.googletagmanager.com/gtag/js?id=" + tag_id
    return ext.script(keys, src=src, **{"async": True})


def declaration(ext: Consent, locale: str | None = None) -> list[dict[str, Any]]:
    """Every purpose with its vendors, cookies, lifetimes and justification, for the shop's policy."""
    loc = locale or "en"
    return [
        {
            "key": p.key,
            "title": localise(p.title, loc),
            "description": localise(p.description, loc),
            "required": p.required,
            "version": p.version,
            "vendors": list(p.vendors),
            "justification": localise(p.justification, loc),
            "refusal_effect": localise(p.refusal_effect, loc),
            "gpc_opt_out": p.gpc_opt_out,
            "gcm": list(p.gcm),
            "cookies": [
                {
                    "name": c.pattern,
                    "lifetime": localise(c.lifetime, loc),
                    "path": c.path,
                    "domain": c.domain,
                    "description": localise(c.description, loc),
                }
                for c in p.cookies
            ],
        }
        for p in ext.registry.values()
    ]


def inject_banner(ext: Consent, response: Response, req: Any, content_type: str | None = None) -> bool:
    """Insert the banner (or the reopen control) before the last ``</body>``, in one copy of the body.

    The fragment is encoded in the page's charset (``content_type``, the response's Content-Type), with
    character references for what that charset cannot hold. Returns False when there is nothing to insert
    into (a streamed body, no ``</body>``, a HEAD request)."""
    chunks = response.response
    if type(chunks) is list and len(chunks) == 1 and type(chunks[0]) is bytes:  # as Flask makes a page
        body = chunks[0]
    elif response.is_streamed:
        return False
    else:
        body = response.get_data()
    at = body.rfind(b"</body>")
    if at < 0:
        at = body.lower().rfind(b"</body>")
        if at < 0:
            return False
    if req.method == "HEAD":
        return False
    if content_type == "text/html; charset=utf-8":  # what Flask gives a view's str
        fragment = str(ext.banner()).encode()
    else:
        fragment = str(ext.banner()).encode(_charset(response), "xmlcharrefreplace")
    response.set_data(b"".join((body[:at], fragment, body[at:])))
    return True


def _charset(response: Response) -> str:
    """The response's charset if Python knows it, else ASCII (the part every page charset shares)."""
    name = response.mimetype_params.get("charset") or "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "ascii"


def _attrs(attrs: dict[str, Any], skip_type: bool = False) -> list[Markup]:
    out = []
    for name, value in attrs.items():
        attr = name.rstrip("_").replace("_", "-")
        if value is None or value is False or (skip_type and attr == "type"):
            continue
        if value is True:
            out.append(Markup(" %s") % attr)
        else:
            out.append(Markup(' %s="%s"') % (attr, value))
    return out
