"""The banner, the "Privacy choices" control and the Jinja helpers (``consent_banner()``, ``consent_script()``,
``consent_iframe()``, ``consent_gcm_default()``, ``consent_google_tag()``).

The banner's markup is the same for every visitor with the same due purposes, locale and URLs, so the
package's own templates are rendered once per such key (:func:`cache_key`) into ``Components.banners``, with
stand-ins for the CSRF token and the return path that each request fills in (escaped as Jinja would).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from flask import Request, before_render_template, render_template, template_rendered, url_for
from markupsafe import Markup, escape

from .components import Components
from .context import RequestConsent, consent_state, csrf_token, locale, locale_source, request_consent
from .exc import ConfigurationError
from .forms import current_path, home
from .gcm import gcm_default_snippet
from .i18n import babel_locale, period, strings, translate
from .purposes import localise
from .state import ConsentState

_HERE = Path(__file__).resolve().parent
#: Stand-ins rendered into kept markup, replaced by this request's CSRF token and return path.
_CSRF_SLOT = "\x00consent-csrf\x00"
_NEXT_SLOT = "\x00consent-next\x00"
_SLOTS = re.compile(f"({_CSRF_SLOT}|{_NEXT_SLOT})")
#: The templates the banner is made of (its own and what it includes or imports); kept markup requires every
#: one of them to be the package's own.
_BANNER_TEMPLATES = ("consent/banner.html", "consent/_purpose.html", "consent/_records.html", "consent/reopen.html")
_REOPEN_TEMPLATES = ("consent/reopen.html",)


def asset_dir(name: str) -> str:
    """``templates`` or ``static``: inside the package in a wheel, beside it in a source checkout."""
    inside = _HERE / name
    return str(inside if inside.is_dir() else _HERE.parent / name)


#: The package's own consent templates, wherever the package is installed.
_OWN_TEMPLATES = str(Path(asset_dir("templates")) / "consent")


def policy_url(comps: Components) -> str:
    """The privacy policy the banner links to: ``CONSENT_POLICY_URL``, else the cookie declaration page."""
    return comps.settings.policy_url or url_for("consent.declaration")


def nonce(comps: Components) -> str | None:
    """This request's CSP nonce from ``CONSENT_CSP_NONCE``, or None when none is configured."""
    fn = comps.settings.csp_nonce
    return fn() if fn else None


def template_context(**extra: Any) -> dict[str, Any]:
    """What the consent templates render with (state, strings, links, assets), plus ``extra``."""
    r = request_consent()
    comps = r.comps
    loc_name = locale(r)
    state = consent_state(r)
    return {
        "state": state,
        "reason_text": reason_text(state, loc_name),
        "registry": comps.registry,
        "t": strings(loc_name),
        "locale": loc_name,
        "loc": lambda text: localise(text, loc_name),
        "csrf_token": csrf_token,
        "policy_url": policy_url(comps),
        "nonce": nonce(comps),
        "assets": assets(comps),
        "color_scheme": comps.settings.color_scheme,
        "base_template": comps.settings.base_template or "consent/page.html",
        **extra,
    }


def reason_text(state: ConsentState, loc_name: str) -> str:
    """Why the banner asks again, in ``loc_name`` ("" on a first visit, or when it is not shown)."""
    if state.reason is None:
        return ""
    return translate(loc_name, f"reason_{state.reason}", period=period(loc_name, state.max_age))


def assets(comps: Components) -> Markup:
    """The banner's stylesheet and script tags."""
    css = url_for("consent.static", filename="consent/consent.css")
    js = url_for("consent.static", filename="consent/consent.js")
    n = nonce(comps)
    nonce_attr = Markup(' nonce="%s"') % n if n else Markup("")
    return Markup('<link rel="stylesheet" href="%s"><script type="module" src="%s"%s></script>') % (
        css, js, nonce_attr
    )


def url_root(r: RequestConsent) -> str:
    """What the URLs ``url_for`` builds in this request depend on: the script root, and the scheme and host
    too when the app matches hosts or subdomains (its URLs may then be absolute)."""
    return str(r.request.root_url) if r.comps.host_urls else str(r.request.root_path)


def cache_key(template: str, state: ConsentState, r: RequestConsent) -> tuple[Any, ...]:
    """Everything a kept banner template's output depends on that can differ between requests.

    The templates read the state only through its due purposes, its reason and the purposes the GPC signal
    refuses; the strings through the locale (and vendor names through Flask-Babel's, when the app has it);
    links through the URL root and the policy URL. Purposes and
    settings are fixed per app, and the cache is per app.
    """
    settings = r.comps.settings
    return (
        template,
        locale_source(r),
        url_root(r),
        settings.policy_url,
        settings.csp_nonce is None,
        state.reason,
        tuple(p.key for p in state.due()),
        state.refused_by_gpc(),
        babel_locale() if "babel" in r.app.extensions else None,  # vendor names go through Flask-Babel's gettext
    )


def cacheable(r: RequestConsent, templates: tuple[str, ...]) -> bool:
    """True when the output of ``templates`` may be kept: every one is the package's own file (an app that
    overrides one may render anything, per visitor), no URL defaults can change links per request, and
    nobody listens to template signals (a kept render would skip them)."""
    app = r.app
    if app.url_default_functions or template_rendered.receivers or before_render_template.receivers:
        return False
    own = r.comps.banners.own_templates.get(templates)
    if own is None:  # which file a name loads is fixed once the app's loaders are set up: found out once
        env = app.jinja_env
        own = all(str(Path(env.get_template(n).filename or "")).startswith(_OWN_TEMPLATES) for n in templates)
        r.comps.banners.own_templates[templates] = own
    return own


def _kept(
    template: str, templates: tuple[str, ...], state: ConsentState, render: Callable[[], str], r: RequestConsent
) -> Markup:
    """``render()`` followed by the asset tags, with this request's values in its stand-ins: kept per
    :func:`cache_key` (split at the stand-ins) when the templates may be kept. The asset tags are kept with it
    unless a CSP nonce makes them differ on every request."""
    comps = r.comps
    if not cacheable(r, templates):
        return _filled(_SLOTS.split(render()), r) + assets(comps)
    key = cache_key(template, state, r)
    same_assets = comps.settings.csp_nonce is None  # else each request's tags carry its own nonce
    pieces = comps.banners.get(key)
    if pieces is None:
        pieces = tuple(_SLOTS.split(render() + (str(assets(comps)) if same_assets else "")))
        comps.banners.put(key, pieces)
    return _filled(pieces, r) if same_assets else _filled(pieces, r) + assets(comps)


def _filled(pieces: Sequence[str], r: RequestConsent) -> Markup:
    """Rendered markup split at the stand-ins (text, stand-in, text, ...), with this request's values in them,
    escaped as Jinja would."""
    if len(pieces) == 1:
        return Markup(pieces[0])
    values = {_CSRF_SLOT: str(escape(csrf_token(r))), _NEXT_SLOT: str(escape(_return_path(r.request)))}
    return Markup("".join(values[piece] if i % 2 else piece for i, piece in enumerate(pieces)))


def _return_path(req: Request) -> str:
    """Where a choice made in the banner returns: this page, or home after a post (a redirect cannot repeat it)."""
    return current_path(req) if req.method == "GET" else home(req)


def banner(r: RequestConsent | None = None) -> Markup:
    """The banner when a purpose is due, otherwise the small "Privacy choices" control; with the assets.

    ``r``: the request's :class:`RequestConsent`, when the caller holds it already.
    """
    r = r or request_consent()
    r.rendered = True
    state = consent_state(r)
    if state.needs_prompt:
        return _due_banner(state, r)

    def render() -> str:
        loc_name = locale(r)
        return render_template(
            "consent/reopen.html", t=strings(loc_name), locale=loc_name,
            preferences_url=url_for("consent.preferences"), color_scheme=r.comps.settings.color_scheme,
        )

    return _kept("consent/reopen.html", _REOPEN_TEMPLATES, state, render, r)


def _due_banner(state: ConsentState, r: RequestConsent) -> Markup:
    """The first layer and its details for the purposes due."""

    def render() -> str:
        return render_template("consent/banner.html", **template_context(
            due=state.due(), next=_NEXT_SLOT, scope="due", csrf_token=lambda: _CSRF_SLOT,
        ))

    return _kept("consent/banner.html", _BANNER_TEMPLATES, state, render, r)


def script(purpose: str | Iterable[str], src: str | None = None, **attrs: Any) -> Markup:
    """A ``<script>`` that runs only once ``purpose`` (or any of several) is granted.

    Until then it is rendered inert (``type="text/plain"``) and the banner script activates it when the
    visitor grants the purpose.
    """
    keys = [purpose] if isinstance(purpose, str) else list(purpose)
    r = request_consent()
    registry = r.comps.registry
    for k in keys:
        registry.require(k)
    state = consent_state(r)
    live = any(state.granted(k) for k in keys)
    parts = [Markup(' data-consent="%s"') % " ".join(keys)]
    n = nonce(r.comps)  # the inert tag carries the nonce too: the banner script copies it when it activates the tag
    if n:
        parts.append(Markup(' nonce="%s"') % n)
    if live:
        if src:
            parts.append(Markup(' src="%s"') % src)
    else:
        parts.append(Markup(' type="text/plain"'))
        if src:
            parts.append(Markup(' data-src="%s"') % src)
    parts.extend(_attrs(attrs, skip_type=not live))
    return Markup("<script%s></script>") % Markup("").join(parts)


def iframe(purpose: str, src: str, title: str, **attrs: Any) -> Markup:
    """An ``<iframe>`` shown only once ``purpose`` is granted, with a placeholder (and an "Allow" form
    that works without JavaScript) until then."""
    r = request_consent()
    p = r.comps.registry.require(purpose)
    if consent_state(r).granted(purpose):
        extra = Markup("").join(_attrs(attrs))
        return Markup('<iframe src="%s" title="%s" data-consent="%s"%s></iframe>') % (src, title, purpose, extra)
    html = render_template(
        "consent/placeholder.html",
        **template_context(purpose=p, src=src, title=title, attrs=attrs, next=current_path(r.request)),
    )
    return Markup(html)


def gcm_default(wait_for_update: int = 500) -> Markup:
    """The Google Consent Mode ``default`` command for this visitor; render it before any Google tag."""
    r = request_consent()
    return gcm_default_snippet(consent_state(r), nonce(r.comps), wait_for_update)


def google_tag(tag_id: str) -> Markup:
    """The Google tag, loaded only once ``analytics`` or ``advertising`` is granted (basic mode, C23)."""
    keys = [k for k in ("analytics", "advertising") if k in request_consent().comps.registry]
    if not keys:
        raise ConfigurationError("consent_google_tag needs an 'analytics' or 'advertising' purpose.")
    return script(keys, src="https://www.googletagmanager.com/gtag/js?id=" + tag_id, **{"async": True})


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
