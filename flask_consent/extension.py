"""The ``Consent`` extension: configuration, request hooks, Jinja helpers and the per-request state."""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

from flask import Flask, before_render_template, current_app, g, render_template, request, template_rendered, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response

from . import config as defaults_module
from .cookie import CookieCodec, state_from_payload
from .enforcement import UNDECLARED_MODES, expire_withdrawn, filter_set_cookies
from .exc import ConfigurationError
from .forms import current_path, home
from .gcm import gcm_default_snippet
from .i18n import select_locale, strings
from .purposes import Cookie, Purpose, PurposeRegistry, localise
from .records import banner_text_hash, ip_hash, make_record, ua_family
from .signals import consent_changed
from .spool import STORE_ERRORS, Spool
from .state import ConsentState, Decision, new_id
from .store import ConsentRecord, ConsentStore, SQLStore

log = logging.getLogger("flask_consent")

_HERE = Path(__file__).resolve().parent
_WEAK_KEYS = {"dev", "secret", "change-me", "changeme", "development", "test", "secret-key", "default"}
#: Stand-ins rendered into the cached banner, replaced by this request's CSRF token and return path.
_CSRF_SLOT = "\x00consent-csrf\x00"
_NEXT_SLOT = "\x00consent-next\x00"
_SLOTS = re.compile(f"({_CSRF_SLOT}|{_NEXT_SLOT})")
#: Entries a per-request cache keeps before it starts over (their keys partly come from the client).
_CACHE_LIMIT = 1024


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


class _Request:
    """What the extension keeps about the current request (on ``flask.g``)."""

    __slots__ = ("state", "new_state", "withdrawn", "rendered", "locale", "touched")

    def __init__(self) -> None:
        self.state: ConsentState | None = None
        self.new_state: ConsentState | None = None
        self.withdrawn: list[Purpose] = []
        self.rendered = False
        self.locale: str | None = None
        self.touched = False


def _req() -> _Request:
    ctx_g = g._get_current_object()  # one context lookup instead of one per attribute
    r = ctx_g.get("_consent")
    if r is None:
        r = ctx_g._consent = _Request()
    return cast(_Request, r)


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
        self._banners: dict[tuple[Any, ...], list[str]] = {}
        self._asset_tags: dict[str, Markup] = {}
        self._locales: dict[str | None, str] = {}
        self._prompts: dict[tuple[str | None, str | None, str | None], tuple[float, _Prompt | None]] = {}
        self._config = app.config
        self._extensions = app.extensions
        self._url_defaults = app.url_default_functions
        self._own_banner: bool | None = None
        self._checked_views = False
        self._ip_key: bytes | None = None
        app.extensions["consent"] = self

        from .views import blueprint

        app.register_blueprint(blueprint, url_prefix=cfg["CONSENT_URL_PREFIX"])
        from .ratelimit import wire_rate_limit

        #: The Flask-Limiter ``Limiter`` guarding ``POST /consent``, or None (off, or not installed).
        self.limiter = wire_rate_limit(app)
        app.add_url_rule("/.well-known/gpc.json", "consent_gpc_json", _gpc_json)
        app.before_request(self._before_request)
        app.after_request(self._after_request)
        app.jinja_env.globals.update(
            consent=current_consent,
            consent_banner=self.banner,
            consent_script=self.script,
            consent_iframe=self.iframe,
            consent_gcm_default=self.gcm_default,
            consent_google_tag=self.google_tag,
        )
        from .cli import consent_cli

        app.cli.add_command(consent_cli)
        from .login import connect_login

        connect_login(app)
        self._check_views(app)

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
        """The current request's state, decoded from the cookie once and then kept."""
        r = _req()
        r.touched = True
        if r.state is None:
            now = datetime.now(timezone.utc)
            payload = self.codec.loads(request.cookies.get(self.cookie_name), now=now, max_age=self.max_age)
            r.state = state_from_payload(
                payload,
                self.registry,
                policy_version=self.policy_version,
                max_age=self.max_age,
                now=now,
                gpc=gpc_signal(),
            )
        return r.state

    def _prompt(self, r: _Request) -> _Prompt | None:
        """What the banner must ask this visitor now, or None when nothing is due.

        The answer only depends on the raw cookie, the GPC signal and the clock, and for a given cookie it
        can only change once its decision expires; so it is kept per (cookie, signal) until then and the
        cookie is not even decoded on the next page views. The key holds the raw value of every header a
        GPC signal may come in (``Sec-GPC``, and ``X-GPC`` from the banner script), whatever reads them.
        """
        if r.new_state is not None:  # a choice or GPC changed the state during this request
            return _Prompt.of(r.new_state)
        req = request._get_current_object()  # type: ignore[attr-defined]
        raw = req.cookies.get(self.cookie_name)
        environ = req.environ
        key = (raw, environ.get("HTTP_SEC_GPC"), environ.get("HTTP_X_GPC"))
        hit = self._prompts.get(key)
        if hit is not None and time.time() <= hit[0]:
            r.touched = True
            return hit[1]
        state = self.state()
        prompt = _Prompt.of(state)
        if state.decided_at is not None:
            until = state.decided_at.timestamp() + self.max_age.total_seconds()
        else:  # no cookie: undecided for good; an untrusted cookie is decoded again (its decoding is cached)
            until = float("inf") if raw is None else 0.0
        if until > time.time():
            if len(self._prompts) >= _CACHE_LIMIT * 4:
                self._prompts.clear()
            self._prompts[key] = (until, prompt)
        return prompt

    def locale(self, r: _Request | None = None) -> str:
        r = r or _req()
        if r.locale is None:
            selector = self._config["CONSENT_LOCALE_SELECTOR"]
            if selector is not None or "babel" in self._extensions:
                r.locale = select_locale(selector)
            else:  # only Accept-Language decides: its answer is kept per header value
                header = request.environ.get("HTTP_ACCEPT_LANGUAGE")
                locale = self._locales.get(header)
                if locale is None:
                    if len(self._locales) >= _CACHE_LIMIT:
                        self._locales.clear()
                    locale = self._locales[header] = select_locale(None)
                r.locale = locale
        return r.locale

    def _before_request(self) -> None:
        if not self._checked_views:
            self._check_views(current_app)
            self._checked_views = True
        if gpc_signal():
            before = self.state()
            after = before.apply_gpc(record_id=new_id(16))
            if after is not None:
                self.commit(before, after, method="gpc")

    def _after_request(self, response: Response) -> Response:
        ctx_g = g._get_current_object()
        r = ctx_g.get("_consent")
        cfg = self._config
        if _has_header(response, "set-cookie"):
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
            cfg["CONSENT_AUTO_INJECT"]
            and not (r is not None and r.rendered)
            and _is_html(response.headers.get("Content-Type"))
            and not response.direct_passthrough
            and not response.is_streamed
            and self._inject(response)
        ):
            r = ctx_g.get("_consent")
        if r is not None and r.touched:
            if _has_header(response, "vary"):
                response.vary.add("Cookie")
            else:
                response.headers["Vary"] = "Cookie"
        return response

    def _inject(self, response: Response) -> bool:
        """Insert the banner (or the reopen control) before the last ``</body>``, in one copy of the body.

        Returns False when there is nothing to insert into (no ``</body>``, or a HEAD request)."""
        chunks = response.response
        if isinstance(chunks, list) and len(chunks) == 1 and isinstance(chunks[0], bytes):
            body = chunks[0]
        else:
            body = response.get_data()
        at = body.rfind(b"</body>")
        if at < 0:
            at = body.lower().rfind(b"</body>")
            if at < 0:
                return False
        if request.method == "HEAD":
            return False
        fragment = str(self.banner()).encode()
        response.set_data(b"".join((body[:at], fragment, body[at:])))
        return True

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

    # --- writing a choice ---------------------------------------------------------------------------------

    def commit(self, before: ConsentState, after: ConsentState, *, method: str) -> ConsentRecord | None:
        """Record the change from ``before`` to ``after``, queue the new cookie and send the signal.

        Returns None (and writes nothing) when the decisions did not change.
        """
        if before.same_decisions(after) and before.granted_keys() == after.granted_keys():
            return None
        record_id = after.record_id or new_id(16)
        after = replace(after, record_id=record_id)
        locale = self.locale()
        record = make_record(
            after,
            record_id=record_id,
            previous_id=before.record_id,
            method=method,
            banner_hash=self.banner_hash(locale),
            locale=locale,
            user_id=_user_id(),
            ip_hash_value=ip_hash(request.remote_addr, self._ip_hash_key()),
            ua=ua_family(request.user_agent.string),
            now=after.now,
        )
        self._append(record)
        r = _req()
        r.state = after
        r.new_state = after
        # A stored grant counts even when a GPC signal already refuses it on this request: the signal
        # withdrawing it must expire its cookies too.
        r.withdrawn.extend(
            p for p in self.registry.optional
            if (d := before.current(p.key)) is not None and d.granted and not after.granted(p.key)
        )
        consent_changed.send(current_app._get_current_object(), before=before, after=after, record=record)  # type: ignore[attr-defined]
        return record

    def _append(self, record: ConsentRecord) -> None:
        """Write ``record`` to the store, or to the spool when the store fails: the choice still applies."""
        try:
            self.store.append(record)
        except STORE_ERRORS as exc:
            log.warning("flask_consent: consent store unavailable (%s); record %s spooled", exc, record.id)
            self.spool.append(record)
            return
        if self.spool.pending():
            self.flush_spool(wait=False)

    def flush_spool(self, wait: bool = True) -> int:
        """Replay spooled records into the store; return how many were new. ``flask consent flush`` calls it.

        With ``wait=False`` (after a successful write) it returns 0 at once when another thread is already
        replaying, and a store that fails again only logs: the records stay spooled for the next attempt.
        """
        if not self._replaying.acquire(blocking=wait):
            return 0
        try:
            return self.spool.replay(self.store)  # type: ignore[arg-type]
        except STORE_ERRORS as exc:
            if wait:
                raise
            log.warning("flask_consent: spool replay failed (%s); will retry after the next write", exc)
            return 0
        finally:
            self._replaying.release()

    def _set_cookie(self, response: Response, state: ConsentState) -> None:
        lifetime = int(min(2 * self.max_age.total_seconds(), 395 * 86400))
        response.set_cookie(
            self.cookie_name,
            self.codec.dumps(state),
            max_age=max(lifetime, int(self.max_age.total_seconds())),
            httponly=True,
            secure=self._cookie_secure(),
            samesite=self._cookie_samesite(),
            domain=(
                current_app.config["CONSENT_COOKIE_DOMAIN"] or current_app.config.get("SESSION_COOKIE_DOMAIN") or None
            ),
            path="/",
        )

    def _cookie_secure(self) -> bool:
        value = current_app.config["CONSENT_COOKIE_SECURE"]
        return bool(current_app.config.get("SESSION_COOKIE_SECURE") if value is None else value)

    def _cookie_samesite(self) -> str:
        value = current_app.config["CONSENT_COOKIE_SAMESITE"]
        return str(value or current_app.config.get("SESSION_COOKIE_SAMESITE") or "Lax")

    def _ip_hash_key(self) -> bytes:
        configured = current_app.config["CONSENT_IP_HASH_KEY"]
        if configured:
            return configured.encode() if isinstance(configured, str) else bytes(configured)
        if self._ip_key is None:
            path = Path(self.instance_path) / "consent-ip-hash.key"
            try:
                self._ip_key = path.read_bytes().strip()
            except OSError:
                os.makedirs(self.instance_path, exist_ok=True)
                key = secrets.token_hex(32).encode()
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(key)
                self._ip_key = key
        return self._ip_key

    def banner_hash(self, locale: str) -> str:
        h = self._banner_hashes.get(locale)
        if h is None:
            h = self._banner_hashes[locale] = banner_text_hash(
                self.registry, strings(locale), locale, self.policy_version
            )
        return h

    # --- rendering ----------------------------------------------------------------------------------------

    def policy_url(self) -> str:
        return str(current_app.config["CONSENT_POLICY_URL"] or url_for("consent.declaration"))

    def nonce(self) -> str | None:
        fn: Callable[[], str | None] | None = self._config["CONSENT_CSP_NONCE"]
        return fn() if fn else None

    def template_context(self, **extra: Any) -> dict[str, Any]:
        locale = self.locale()
        state = self.state()
        return {
            "state": state,
            "registry": self.registry,
            "t": strings(locale),
            "locale": locale,
            "loc": lambda text: localise(text, locale),
            "csrf_token": generate_csrf,
            "policy_url": self.policy_url(),
            "nonce": self.nonce(),
            "assets": self.assets(),
            **extra,
        }

    def assets(self) -> Markup:
        """The banner's stylesheet and script tags."""
        nonce = self.nonce()
        if nonce is None and not self._url_defaults:  # then the URLs depend on the script root only
            root = request.script_root
            tags = self._asset_tags.get(root)
            if tags is None:
                if len(self._asset_tags) >= _CACHE_LIMIT:
                    self._asset_tags.clear()
                tags = self._asset_tags[root] = self._asset_markup(None)
            return tags
        return self._asset_markup(nonce)

    def _asset_markup(self, nonce: str | None) -> Markup:
        css = url_for("consent.static", filename="consent/consent.css")
        js = url_for("consent.static", filename="consent/consent.js")
        nonce_attr = Markup(' nonce="%s"') % nonce if nonce else Markup("")
        return Markup('<link rel="stylesheet" href="%s"><script type="module" src="%s"%s></script>') % (
            css, js, nonce_attr
        )

    def banner(self) -> Markup:
        """The banner when a purpose is due, otherwise the small "Privacy choices" control."""
        r = _req()
        r.rendered = True
        prompt = self._prompt(r)
        if prompt is not None:
            return self._due_banner(prompt) + self.assets()
        key = (self.locale(r), request.script_root, self.nonce() is None and not self._url_defaults)
        fragment = self._fragments.get(key)
        if fragment is None:
            if len(self._fragments) >= _CACHE_LIMIT:
                self._fragments.clear()
            fragment = Markup(render_template(
                "consent/reopen.html", t=strings(key[0]), locale=key[0],
                preferences_url=url_for("consent.preferences"),
            ))
            if key[2]:  # the asset tags are the same on every request too: keep them with it
                fragment += self.assets()
            self._fragments[key] = fragment
        return fragment if key[2] else fragment + self.assets()

    def _due_banner(self, prompt: _Prompt) -> Markup:
        """The first layer and its details for the purposes due.

        With the package's own templates and nobody listening to template signals, the markup is rendered
        once per locale, script root, policy link and set of due purposes, with stand-ins for the CSRF
        token and the return path that are filled in per request (both escaped as Jinja would).
        """
        nxt = current_path(request) if request.method == "GET" else home(request)
        if not self._banner_cacheable():
            return Markup(render_template(
                "consent/banner.html", **self.template_context(due=self.state().due(), next=nxt, scope="due")
            ))
        key = (self.locale(), request.script_root, self._config["CONSENT_POLICY_URL"], prompt)
        pieces = self._banners.get(key)
        if pieces is None:
            if len(self._banners) >= _CACHE_LIMIT:
                self._banners.clear()
            html = render_template(
                "consent/banner.html",
                **self.template_context(
                    due=self.state().due(), next=_NEXT_SLOT, scope="due", csrf_token=lambda: _CSRF_SLOT
                ),
            )
            pieces = self._banners[key] = _SLOTS.split(html)  # text, slot, text, slot, ..., text
        values = {_CSRF_SLOT: str(escape(generate_csrf())), _NEXT_SLOT: str(escape(nxt))}
        return Markup("".join([values.get(piece, piece) if i % 2 else piece for i, piece in enumerate(pieces)]))

    def _banner_cacheable(self) -> bool:
        if self.nonce() is not None or template_rendered.receivers or before_render_template.receivers:
            return False
        if self._own_banner is None:
            env = current_app.jinja_env
            ours = str(Path(asset_dir("templates")) / "consent")
            self._own_banner = all(
                str(Path(env.get_template(name).filename or "")).startswith(ours)
                for name in ("consent/banner.html", "consent/_purpose.html")
            )
        return self._own_banner

    def script(self, purpose: str | Iterable[str], src: str | None = None, **attrs: Any) -> Markup:
        """A ``<script>`` that runs only once ``purpose`` (or any of several) is granted.

        Until then it is rendered inert (``type="text/plain"``) and the banner script activates it when the
        visitor grants the purpose.
        """
        keys = [purpose] if isinstance(purpose, str) else list(purpose)
        for k in keys:
            self.registry.require(k)
        state = self.state()
        live = any(state.granted(k) for k in keys)
        parts = [Markup(' data-consent="%s"') % " ".join(keys)]
        # The inert tag carries the nonce too: the banner script copies it when it activates the tag.
        nonce = self.nonce()
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

    def iframe(self, purpose: str, src: str, title: str, **attrs: Any) -> Markup:
        """An ``<iframe>`` shown only once ``purpose`` is granted, with a placeholder (and an "Allow" form
        that works without JavaScript) until then."""
        p = self.registry.require(purpose)
        if self.state().granted(purpose):
            extra = Markup("").join(_attrs(attrs))
            return Markup('<iframe src="%s" title="%s" data-consent="%s"%s></iframe>') % (src, title, purpose, extra)
        nxt = current_path(request)
        html = render_template(
            "consent/placeholder.html",
            **self.template_context(purpose=p, src=src, title=title, attrs=attrs, next=nxt),
        )
        return Markup(html)

    def gcm_default(self, wait_for_update: int = 500) -> Markup:
        """The Google Consent Mode ``default`` command for this visitor; render it before any Google tag."""
        return gcm_default_snippet(self.state(), self.nonce(), wait_for_update)

    def google_tag(self, tag_id: str) -> Markup:
        """The Google tag, loaded only once ``analytics`` or ``advertising`` is granted (basic mode, C23)."""
        keys = [k for k in ("analytics", "advertising") if k in self.registry]
        if not keys:
            raise ConfigurationError("consent_google_tag needs an 'analytics' or 'advertising' purpose.")
        src = "https://www.googletagmanager.com/gtag/js?id=" + tag_id
        return self.script(keys, src=src, **{"async": True})

    def declaration(self, locale: str | None = None) -> list[dict[str, Any]]:
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
            for p in self.registry.values()
        ]


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


def gpc_signal() -> bool:
    """True when the request carries a Global Privacy Control signal.

    That is ``Sec-GPC: 1`` from the browser, or ``X-GPC: 1``, which the banner script sends when
    ``navigator.globalPrivacyControl`` is true (page scripts cannot set ``Sec-`` headers). Either one can
    only refuse purposes, never grant them, so accepting it from a script is safe. Read from the WSGI
    environ: a header lookup that misses (the usual case) costs an exception on every request.
    """
    environ = request.environ
    return environ.get("HTTP_SEC_GPC") == "1" or environ.get("HTTP_X_GPC") == "1"


def _has_header(response: Response, lower_name: str) -> bool:
    """True when the response has a header of that (lower-case) name; a scan of the few headers a response
    has is cheaper than a failing lookup."""
    for name, _value in response.headers:
        if name.lower() == lower_name:
            return True
    return False


def _is_html(content_type: str | None) -> bool:
    """True for a ``text/html`` Content-Type (with or without parameters)."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() == "text/html"


def _user_id() -> str | None:
    if "login_manager" not in current_app.extensions and not hasattr(current_app, "login_manager"):
        return None
    try:
        from flask_login import current_user
    except ImportError:  # pragma: no cover - Flask-Login is optional
        return None
    if current_user and current_user.is_authenticated:
        return str(current_user.get_id())
    return None


def _gpc_json() -> Response:
    from flask import jsonify

    return jsonify(gpc=True, lastUpdate=current_app.config["CONSENT_GPC_LAST_UPDATE"])


def _days(n: int) -> dict[str, str]:
    return {"en": f"{n} days", "zh-HK": f"{n} 日", "zh-CN": f"{n} 天"}


def _as_timedelta(value: Any) -> Any:
    from datetime import timedelta

    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return timedelta(seconds=value)
    raise ConfigurationError(f"CONSENT_MAX_AGE must be a timedelta or a number of seconds > 0, got {value!r}.")


def _check_secret_key(app: Flask) -> None:
    key = app.secret_key
    if not key:
        raise ConfigurationError(
            "flask_consent signs the consent cookie with SECRET_KEY, which is not set. Set "
            "app.config['SECRET_KEY'] to a long random value, e.g. the output of "
            "python -c 'import secrets; print(secrets.token_hex(32))'."
        )
    text = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
    if not (app.debug or app.testing) and (len(text) < 16 or text.lower() in _WEAK_KEYS):
        raise ConfigurationError(
            "SECRET_KEY is too weak to sign consent cookies (shorter than 16 characters or a well-known "
            "placeholder). Set it to a long random value, e.g. "
            "python -c 'import secrets; print(secrets.token_hex(32))'."
        )
