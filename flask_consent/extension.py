"""The ``Consent`` extension: set-up, the request hooks and the per-request consent state.

Rendering (banner, Jinja helpers) lives in ``rendering``, writing a choice in ``choices``, start-up checks in
``checks``; their functions are bound here as methods of ``Consent``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

from flask import Flask, current_app, g, request
from markupsafe import Markup
from werkzeug.http import http_date
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response

from . import choices, rendering
from . import config as defaults_module
from .checks import _WEAK_KEYS, _as_timedelta, _check_secret_key, _days
from .choices import _user_id
from .context import _CACHE_LIMIT, _req, _Request
from .cookie import CookieCodec, state_from_payload
from .csrf import CsrfSigner
from .enforcement import UNDECLARED_MODES, expire_withdrawn, filter_set_cookies
from .exc import ConfigurationError
from .i18n import select_locale
from .purposes import Cookie, Purpose, PurposeRegistry
from .rendering import _Prompt, asset_dir, inject_banner
from .spool import Spool
from .state import ConsentState, new_id
from .store import ConsentStore, SQLStore

log = logging.getLogger("flask_consent")

#: Names other modules import from here, though they live in the module of their concept.
__all__ = ["Consent", "_WEAK_KEYS", "_req", "_user_id", "asset_dir", "current_consent"]


def _ext() -> Consent:
    try:
        return cast(Consent, current_app.extensions["consent"])
    except KeyError:
        raise ConfigurationError(
            "flask_consent is not set up on this app: call Consent(app) or consent.init_app(app)."
        ) from None


def _current_state() -> ConsentState:
    return _ext().state()


#: The consent state of the current request (a :class:`ConsentState`).
current_consent: ConsentState = cast(ConsentState, LocalProxy(_current_state))


class Consent:
    """Adds a consent banner, a signed consent cookie and a consent log to a Flask app.

    ``Consent(app, purposes=[...])`` or, for app factories, ``consent = Consent(purposes=[...])`` then
    ``consent.init_app(app)``. ``store`` replaces the SQL consent log with another :class:`ConsentStore`.
    """

    def __init__(
        self,
        app: Flask | None = None,
        purposes: Iterable[Purpose] | None = None,
        store: ConsentStore | None = None,
    ) -> None:
        self._purposes = list(purposes or [])
        self._store = store
        self._bound = False
        if app is not None:
            self.init_app(app)

    # --- set-up -------------------------------------------------------------------------------------------

    def init_app(
        self, app: Flask, purposes: Iterable[Purpose] | None = None, store: ConsentStore | None = None
    ) -> None:
        """Configure ``app``: hooks, the ``/consent`` blueprint, Jinja helpers and ``flask consent``.

        The first app binds this object; each further app (an app factory called twice, as tests do) gets
        its own copy, found as ``app.extensions["consent"]``, so that purposes, the consent log, caches and
        hooks never leak from one app into another.
        """
        if self._bound:
            Consent(
                purposes=self._purposes if purposes is None else purposes,
                store=self._store if store is None else store,
            ).init_app(app)
            return
        self._bound = True
        for key, value in defaults_module.defaults().items():
            app.config.setdefault(key, value)
        _check_secret_key(app)
        cfg = app.config
        if cfg["CONSENT_UNDECLARED_COOKIES"] not in UNDECLARED_MODES:
            raise ConfigurationError(
                f"CONSENT_UNDECLARED_COOKIES is {cfg['CONSENT_UNDECLARED_COOKIES']!r}; use 'warn', 'block' or 'allow'."
            )
        if purposes is not None:
            self._purposes = list(purposes)
        if store is not None:
            self._store = store
        max_age_days = _as_timedelta(cfg["CONSENT_MAX_AGE"]).days
        remember = cfg.get("REMEMBER_COOKIE_DURATION")
        necessary = [
            Cookie(cfg["CONSENT_COOKIE_NAME"], lifetime=_days(2 * max_age_days),
                   description={"en": "Your consent choices (signed, HttpOnly).",
                                "zh-HK": "你的同意選擇（已簽署、HttpOnly）。",
                                "zh-CN": "你的同意选择（已签名、HttpOnly）。"}),
            Cookie(f"{cfg['CONSENT_COOKIE_NAME']}_csrf",
                   description={"en": "Protects the consent forms against forged posts (random, HttpOnly).",
                                "zh-HK": "保護同意表格免受偽造提交（隨機值、HttpOnly）。",
                                "zh-CN": "保护同意表单免受伪造提交（随机值、HttpOnly）。"}),
            Cookie(cfg.get("SESSION_COOKIE_NAME", "session"),
                   description={"en": "Sign-in, cart and the CSRF token that protects forms.",
                                "zh-HK": "登入、購物車及保護表格的 CSRF 權杖。",
                                "zh-CN": "登录、购物车及保护表单的 CSRF 令牌。"}),
            Cookie(cfg.get("REMEMBER_COOKIE_NAME", "remember_token"),
                   lifetime=_days(remember.days if remember else 365),
                   description={"en": "Keeps a member signed in when they ask for it.",
                                "zh-HK": "會員要求時保持登入。", "zh-CN": "会员要求时保持登录。"}),
        ]
        self.registry = PurposeRegistry(self._purposes, necessary_cookies=necessary)
        self.policy_version = str(cfg["CONSENT_POLICY_VERSION"])
        self.max_age = _as_timedelta(cfg["CONSENT_MAX_AGE"])
        self.cookie_name: str = cfg["CONSENT_COOKIE_NAME"]
        keys = [*(cfg.get("SECRET_KEY_FALLBACKS") or []), app.secret_key]
        self.codec = CookieCodec([k for k in keys if k])
        #: Signs the consent forms' CSRF tokens against the ``<cookie name>_csrf`` cookie (see ``csrf``).
        self.csrf = CsrfSigner([k for k in keys if k])
        self.csrf_cookie_name = f"{self.cookie_name}_csrf"
        if self._store is None and not cfg["CONSENT_DATABASE_URL"]:
            os.makedirs(app.instance_path, exist_ok=True)  # SQLite cannot create the file's folder itself
        self.store: ConsentStore = self._store or SQLStore(
            cfg["CONSENT_DATABASE_URL"] or f"sqlite:///{Path(app.instance_path) / 'consent.db'}"
        )
        self.instance_path = app.instance_path
        #: Records the store could not take (outage), kept in the instance folder until replayed.
        self.spool = Spool(app.instance_path)
        self._replaying = threading.Lock()
        self._seen: set[tuple[str, str]] = set()
        self._banner_hashes: dict[str, str] = {}
        self._fragments: dict[tuple[str, str, bool], Markup] = {}
        #: The reopen control per (raw cookie, GPC signal, locale, URL root), with its decisions' expiry.
        self._controls: dict[tuple[str | bool | None, ...], tuple[float, Markup]] = {}
        #: True when ``url_for`` may give absolute URLs that depend on the request's host (see ``_url_root``).
        self._host_urls = bool(app.url_map.host_matching or app.subdomain_matching)
        self._banners: dict[tuple[Any, ...], list[str]] = {}
        self._asset_tags: dict[str, Markup] = {}
        self._cookie_attrs: dict[tuple[Any, ...], str] = {}
        self._locales: dict[str | None, str] = {}
        self._states: dict[tuple[str | None, bool], _Decoded] = {}
        self._config = app.config
        self._extensions = app.extensions
        self._url_defaults = app.url_default_functions
        self._own_banner: bool | None = None
        self._ip_key: bytes | None = None
        app.extensions["consent"] = self

        from .views import blueprint

        app.register_blueprint(blueprint, url_prefix=cfg["CONSENT_URL_PREFIX"])
        self._exempt_from_csrfprotect(app)
        from .ratelimit import wire_rate_limit

        #: The Flask-Limiter ``Limiter`` guarding ``POST /consent``, or None (off, or not installed).
        self.limiter = wire_rate_limit(app)
        app.add_url_rule("/.well-known/gpc.json", "consent_gpc_json", _gpc_json)
        app.before_request(self._first_request)
        app.after_request(self._after_request)
        app.jinja_env.globals.update(
            consent=current_consent,
            consent_banner=_Helper(self.banner),
            consent_script=_Helper(self.script),
            consent_iframe=_Helper(self.iframe),
            consent_gcm_default=_Helper(self.gcm_default),
            consent_google_tag=_Helper(self.google_tag),
        )
        from .cli import consent_cli

        app.cli.add_command(consent_cli)
        from .login import connect_login

        connect_login(app)
        self._check_views(app)

    def _exempt_from_csrfprotect(self, app: Flask) -> None:
        """Let ``POST /consent`` past Flask-WTF's ``CSRFProtect``: the view checks its own token (and
        Flask-WTF's) itself. Called at set-up and again on the first request, for a ``CSRFProtect`` set up
        after this extension (whose hook then runs after ours)."""
        protect = app.extensions.get("csrf")
        if protect is not None and hasattr(protect, "exempt"):
            from .views import blueprint

            protect.exempt(blueprint)

    def _check_views(self, app: Flask) -> None:
        """Fail fast on ``@consent_required`` with a purpose key this app does not declare."""
        for endpoint, view in app.view_functions.items():
            for key in getattr(view, "__consent_purposes__", ()):
                if key not in self.registry:
                    raise ConfigurationError(
                        f"View {endpoint!r} uses @consent_required({key!r}) but no purpose {key!r} is declared. "
                        f"Known purposes: {', '.join(self.registry)}. Add Purpose({key!r}, ...) or fix the key."
                    )

    # --- per request --------------------------------------------------------------------------------------

    def state(self) -> ConsentState:
        """The current request's state, decoded from the cookie once and then kept.

        A visitor whose browser sends a Global Privacy Control signal has it honoured here, the first time
        the request's state is read: the refusals are recorded (``commit``) before anything sees the state.
        """
        r = _req()
        r.touched = True
        if r.state is None:
            req = request._get_current_object()  # type: ignore[attr-defined]
            r.state = self._decoded(req).state.at(datetime.now(timezone.utc))
            if r.state.gpc and not r.gpc_done:
                self._honour_gpc(r)
        return r.state

    def _decoded(self, req: Any) -> _Decoded:
        """The state decoded from this request's cookie and GPC signal, kept per (cookie, signal).

        The signature binds the cookie's content, and what a state answers only changes when its decisions
        expire: so it is kept until then and the cookie is not even decoded on the next page views (each
        request reads it at its own time, :meth:`ConsentState.at`). The key holds whether a GPC signal came,
        not the raw headers it may come in, so padded headers cannot make a client's entries big or many.
        """
        cookies = req.cookies  # tested first: a miss in werkzeug's lookups raises and catches an HTTP exception
        raw = cookies[self.cookie_name] if self.cookie_name in cookies else None
        environ = req.environ
        key = (raw, _gpc(environ.get("HTTP_SEC_GPC"), environ.get("HTTP_X_GPC")))
        hit = self._states.get(key)
        if hit is not None and time.time() <= hit.until:
            return hit
        now = datetime.now(timezone.utc)
        payload = self.codec.loads(raw, now=now, max_age=self.max_age)
        state = state_from_payload(
            payload,
            self.registry,
            policy_version=self.policy_version,
            max_age=self.max_age,
            now=now,
            gpc=key[1],
        )
        if state.decided_at is not None:
            until = state.decided_at.timestamp() + self.max_age.total_seconds()
        else:  # no cookie: undecided for good; an untrusted cookie is decoded again (its decoding is cached)
            until = float("inf") if raw is None else 0.0
        entry = _Decoded(until, state, _Prompt.of(state))  # decisions in force worked out once, kept by ``at``
        if until > time.time():
            if len(self._states) >= _CACHE_LIMIT * 4:
                self._states.clear()
            self._states[key] = entry
        return entry

    def _honour_gpc(self, r: _Request) -> None:
        """Turn this request's GPC signal into recorded refusals, once (see ``ConsentState.apply_gpc``).

        ``gpc_done`` is set first, so reading the state here does not come back."""
        r.gpc_done = True
        before = self.state()
        after = before.apply_gpc(record_id=new_id(16))
        if after is not None:
            self.commit(before, after, method="gpc")

    def _prompt(self, r: _Request, req: Any) -> _Prompt | None:
        """What the banner must ask this visitor now, or None when nothing is due (kept with the state)."""
        if r.new_state is not None:  # a choice or GPC changed the state during this request
            return _Prompt.of(r.new_state)
        r.touched = True
        entry = self._decoded(req)
        if entry.state.gpc and not r.gpc_done:  # the signal may have refusals to record first
            self._honour_gpc(r)
            if r.new_state is not None:
                return _Prompt.of(r.new_state)
        return entry.prompt

    def locale(self, r: _Request | None = None, req: Any = None) -> str:
        r = r or _req()
        if r.locale is None:
            selector = self._config["CONSENT_LOCALE_SELECTOR"]
            if selector is not None or "babel" in self._extensions:
                r.locale = select_locale(selector)
            else:  # only Accept-Language decides: its answer is kept per header value
                header = (req or request).environ.get("HTTP_ACCEPT_LANGUAGE")
                locale = self._locales.get(header)
                if locale is None:
                    if len(self._locales) >= _CACHE_LIMIT:
                        self._locales.clear()
                    locale = self._locales[header] = select_locale(None)
                r.locale = locale
        return r.locale

    def _first_request(self) -> None:
        """Checks that need the app fully set up, on its first request; then the hook takes itself off."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        self._check_views(app)
        self._exempt_from_csrfprotect(app)
        hooks = app.before_request_funcs.get(None)
        if hooks is not None:  # a new list: Flask may be iterating over the old one right now
            app.before_request_funcs[None] = [f for f in hooks if f != self._first_request]

    def _after_request(self, response: Response) -> Response:
        """Apply the request's consent to its response: GPC, cookies, the banner, ``Vary``.

        It runs on every response, so the usual case (nothing to honour, set or inject) stays in this one
        frame: the GPC headers are read from the environ, the headers scanned once, the body searched once.
        """
        ctx_g = g._get_current_object().__dict__  # what the request stored on ``g``
        r = ctx_g.get("_consent")
        req = None
        if r is None or not r.gpc_done:
            req = request._get_current_object()  # type: ignore[attr-defined]
            environ = req.environ
            if environ.get("HTTP_SEC_GPC") == "1" or environ.get("HTTP_X_GPC") == "1":  # as ``_gpc``
                self._honour_gpc(_req())  # nothing read the state yet: honour the signal now
                r = ctx_g.get("_consent")
        cfg = self._config
        set_cookie = has_vary = False
        content_type = None
        for name, value in response.headers:  # one pass over the few headers a response has
            lower = name.lower()
            if lower == "content-type":
                content_type = value
            elif lower == "set-cookie":
                set_cookie = True
            elif lower == "vary":
                has_vary = True
        if set_cookie:
            filter_set_cookies(
                response,
                self.state(),
                self.registry,
                undeclared=cfg["CONSENT_UNDECLARED_COOKIES"],
                always_allowed=(self.cookie_name, cfg.get("SESSION_COOKIE_NAME", "session")),
                seen=self._first_seen,
            )
            r = ctx_g.get("_consent")
        if r is not None:
            if r.new_state is not None:
                self._set_cookie(response, r.new_state)
            if r.withdrawn:
                expire_withdrawn(
                    response, r.withdrawn, request.cookies,
                    secure=self._cookie_secure(), samesite=self._cookie_samesite(),
                )
        if (
            not (r is not None and r.rendered)
            and (content_type == "text/html; charset=utf-8" or _is_html(content_type))  # Flask's, then any
            and cfg["CONSENT_AUTO_INJECT"]
            and not response.direct_passthrough
            and inject_banner(self, response, req or request._get_current_object(), content_type)  # type: ignore[attr-defined]
        ):
            r = ctx_g.get("_consent")
        if r is not None:
            if r.csrf_cookie is not None:  # after injection: the banner may have made it
                self._set_csrf_cookie(response, r.csrf_cookie)
            if r.touched:
                if has_vary:
                    response.vary.add("Cookie")
                else:
                    response.headers.add("Vary", "Cookie")
        return response

    def _first_seen(self, kind: str, name: str) -> bool:
        if (kind, name) in self._seen:
            return False
        self._seen.add((kind, name))
        if kind == "undeclared":
            try:
                os.makedirs(self.instance_path, exist_ok=True)
                with open(Path(self.instance_path) / "consent-undeclared-cookies.txt", "a", encoding="utf-8") as f:
                    f.write(name + "\n")
            except OSError:
                log.debug("could not note undeclared cookie %r", name, exc_info=True)
        return True

    def undeclared_cookies(self) -> list[str]:
        """Names of cookies seen set by the app that no purpose declares (for ``flask consent audit``)."""
        names = {n for k, n in self._seen if k == "undeclared"}
        try:
            with open(Path(self.instance_path) / "consent-undeclared-cookies.txt", encoding="utf-8") as f:
                names.update(line.strip() for line in f if line.strip())
        except OSError:
            pass
        return sorted(names)

    def _set_cookie(self, response: Response, state: ConsentState) -> None:
        lifetime = int(min(2 * self.max_age.total_seconds(), 395 * 86400))
        self._add_cookie(response, self.cookie_name, self.codec.dumps(state),
                         max(lifetime, int(self.max_age.total_seconds())))

    def _set_csrf_cookie(self, response: Response, value: str) -> None:
        """The consent forms' CSRF cookie: random, HttpOnly, for this browser session only."""
        self._add_cookie(response, self.csrf_cookie_name, value, None)

    def _add_cookie(self, response: Response, name: str, value: str, max_age: int | None) -> None:
        """``Set-Cookie`` for one of the extension's cookies (HttpOnly, Path=/), as werkzeug writes it.

        The values are URL-safe base64, so nothing needs quoting, and the attributes only change with the
        config (and Expires once a second): they are kept, instead of building the header anew each time.
        """
        domain = self._cookie_domain()
        if domain is not None:  # werkzeug normalises domains: leave those to it
            response.set_cookie(name, value, max_age=max_age, httponly=True, secure=self._cookie_secure(),
                                samesite=self._cookie_samesite(), domain=domain, path="/")
            return
        now = int(time.time())
        key = (max_age, now if max_age is not None else 0, self._cookie_secure(), self._cookie_samesite())
        attrs = self._cookie_attrs.get(key)
        if attrs is None:
            parts = [] if max_age is None else [f"Expires={http_date(now + max_age)}", f"Max-Age={max_age}"]
            parts += ["Secure"] * key[2] + ["HttpOnly", "Path=/", f"SameSite={key[3]}"]
            attrs = "; " + "; ".join(parts)
            if len(self._cookie_attrs) >= 16:
                self._cookie_attrs.clear()
            self._cookie_attrs[key] = attrs
        response.headers.add("Set-Cookie", f"{name}={value}{attrs}")

    def csrf_time_limit(self) -> float | None:
        """How long a consent-form token stays valid, in seconds: Flask-WTF's ``WTF_CSRF_TIME_LIMIT``."""
        limit = self._config.get("WTF_CSRF_TIME_LIMIT", 3600)
        return None if limit is None else float(limit)

    def _cookie_domain(self) -> str | None:
        cfg = self._config
        return cfg["CONSENT_COOKIE_DOMAIN"] or cfg.get("SESSION_COOKIE_DOMAIN") or None

    def _cookie_secure(self) -> bool:
        value = self._config["CONSENT_COOKIE_SECURE"]
        return bool(self._config.get("SESSION_COOKIE_SECURE") if value is None else value)

    def _cookie_samesite(self) -> str:
        value = self._config["CONSENT_COOKIE_SAMESITE"]
        return str(value or self._config.get("SESSION_COOKIE_SAMESITE") or "Lax")

    # --- writing a choice: functions of flask_consent.choices, bound as methods ----------------------------

    commit = choices.commit
    flush_spool = choices.flush_spool
    banner_hash = choices.banner_hash

    # --- rendering: functions of flask_consent.rendering, bound as methods (no extra call per page view) ---

    policy_url = rendering.policy_url
    csrf_token = rendering.csrf_token
    nonce = rendering.nonce
    template_context = rendering.template_context
    assets = rendering.assets
    banner = rendering.banner
    script = rendering.script
    iframe = rendering.iframe
    gcm_default = rendering.gcm_default
    google_tag = rendering.google_tag
    declaration = rendering.declaration


class _Helper:
    """A Jinja global calling one of the extension's helpers (``consent_banner()``, ...).

    It tells Jinja up front that it takes no context (``jinja_pass_arg``), which spares Jinja two failing
    attribute lookups on every call it makes from a template.
    """

    __slots__ = ("fn", "__wrapped__")
    jinja_pass_arg = None

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.__wrapped__ = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    __call__.jinja_pass_arg = None  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"<consent helper {getattr(self.fn, '__name__', self.fn)!r}>"


class _Decoded:
    """A request's consent cookie and GPC signal decoded into a state, kept until its decisions expire."""

    __slots__ = ("until", "state", "prompt")

    def __init__(self, until: float, state: ConsentState, prompt: _Prompt | None) -> None:
        self.until = until
        self.state = state
        #: What the banner asks this state (``_Prompt.of``).
        self.prompt = prompt


def _gpc(sec_gpc: str | None, x_gpc: str | None) -> bool:
    """True when the request carries a Global Privacy Control signal.

    That is ``Sec-GPC: 1`` from the browser, or ``X-GPC: 1``, which the banner script sends when
    ``navigator.globalPrivacyControl`` is true (page scripts cannot set ``Sec-`` headers). Either one can
    only refuse purposes, never grant them, so accepting it from a script is safe. The values are read from
    the WSGI environ: a header lookup that misses (the usual case) costs an exception on every request.
    """
    return sec_gpc == "1" or x_gpc == "1"


def _is_html(content_type: str | None) -> bool:
    """True for a ``text/html`` Content-Type (with or without parameters)."""
    if content_type is None:
        return False
    return content_type.split(";", 1)[0].strip().lower() == "text/html"


def _gpc_json() -> Response:
    from flask import jsonify

    return jsonify(gpc=True, lastUpdate=current_app.config["CONSENT_GPC_LAST_UPDATE"])

