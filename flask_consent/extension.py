"""``Consent``: sets the extension up on an app and assembles its components.

``Consent`` holds nothing of any one app: ``init_app`` builds that app's :class:`Components` (from its
config, its ``SECRET_KEY`` and its instance folder) into ``app.extensions["consent"]`` and registers the
blueprint, the request hooks, the Jinja helpers and the CLI. Its other methods act on the current app's
components, so one ``Consent()`` serves any number of apps (the app-factory pattern).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, current_app, request_finished
from jinja2 import TemplateNotFound
from markupsafe import Markup
from werkzeug.wrappers import Response

from . import banner as banner_helpers
from .cli import consent_cli
from .components import Components, components
from .context import consent_state, current_consent, record_change
from .cookie import CookieCodec
from .csrf import CsrfSigner
from .enforcement import CookieNotes
from .exc import ConfigurationError
from .login import connect_login
from .purposes import Cookie, Purpose, PurposeRegistry
from .ratelimit import RateLimit
from .recording import IpHasher, Recorder
from .response import finish
from .settings import Settings
from .spool import Spool
from .state import ConsentState
from .store import ConsentRecord, ConsentStore, SQLStore
from .views import blueprint, gpc_json

__all__ = ["Consent", "current_consent"]


def _days(n: int) -> dict[str, str]:
    """A cookie lifetime of ``n`` days, in each built-in locale of the cookie declaration."""
    return {"en": f"{n} days", "zh-HK": f"{n} 日", "zh-CN": f"{n} 天"}


def own_cookies(app: Flask, settings: Settings) -> list[Cookie]:
    """The cookies the extension and Flask set, declared under the necessary purpose (C6)."""
    remember = app.config.get("REMEMBER_COOKIE_DURATION")
    return [
        Cookie(settings.cookie_name, lifetime=_days(settings.cookie_lifetime // 86400),
               description={"en": "Your consent choices (signed, HttpOnly).",
                            "zh-HK": "你的同意選擇（已簽署、HttpOnly）。",
                            "zh-CN": "你的同意选择（已签名、HttpOnly）。"}),
        Cookie(f"*{settings.csrf_cookie_name}",
               description={"en": "Protects the consent forms against forged posts (random, HttpOnly).",
                            "zh-HK": "保護同意表格免受偽造提交（隨機值、HttpOnly）。",
                            "zh-CN": "保护同意表单免受伪造提交（随机值、HttpOnly）。"}),
        Cookie(settings.session_cookie_name,
               description={"en": "Sign-in, cart and the CSRF token that protects forms.",
                            "zh-HK": "登入、購物車及保護表格的 CSRF 權杖。",
                            "zh-CN": "登录、购物车及保护表单的 CSRF 令牌。"}),
        Cookie(app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
               lifetime=_days(remember.days if remember else 365),
               description={"en": "Keeps a member signed in when they ask for it.",
                            "zh-HK": "會員要求時保持登入。", "zh-CN": "会员要求时保持登录。"}),
    ]


class Consent:
    """Adds a consent banner, a signed consent cookie and a consent log to Flask apps.

    ``Consent(app, purposes=[...])`` or, for app factories, ``consent = Consent(purposes=[...])`` then
    ``consent.init_app(app)`` for each app. ``store`` replaces the SQL consent log with another
    :class:`ConsentStore` (shared by every app this object sets up, unless ``init_app`` is given its own).
    """

    def __init__(
        self,
        app: Flask | None = None,
        purposes: Iterable[Purpose] | None = None,
        store: ConsentStore | None = None,
    ) -> None:
        #: The purposes and store every app gets unless ``init_app`` is given its own.
        self.purposes = list(purposes or [])
        self.store = store
        if app is not None:
            self.init_app(app)

    def init_app(
        self, app: Flask, purposes: Iterable[Purpose] | None = None, store: ConsentStore | None = None
    ) -> None:
        """Set ``app`` up: its components, the ``/consent`` blueprint, the hooks, Jinja helpers and CLI."""
        settings = Settings.from_app(app)
        app.extensions["consent"] = build_components(
            app, settings, self.purposes if purposes is None else list(purposes), store or self.store
        )
        app.register_blueprint(blueprint, url_prefix=settings.url_prefix)
        app.add_url_rule("/.well-known/gpc.json", "consent_gpc_json", gpc_json)
        app.before_request(_first_request)
        if settings.refusal is not None:
            # A flask command loaded the app with a bad SECRET_KEY: it may run, but the app never serves.
            app.before_request_funcs.setdefault(None, []).insert(0, _refuse_to_serve)
        # The response's consent steps run on ``request_finished``, which Flask sends after every
        # after_request hook (whenever registered) and after_this_request callback: the cookies those set
        # are filtered too.
        request_finished.connect(_finish, app, weak=False)
        app.jinja_env.globals.update(
            consent=current_consent,
            consent_banner=banner_helpers.banner,
            consent_script=banner_helpers.script,
            consent_iframe=banner_helpers.iframe,
            consent_gcm_default=banner_helpers.gcm_default,
            consent_google_tag=banner_helpers.google_tag,
        )
        app.cli.add_command(consent_cli)
        connect_login(app)
        _exempt_from_csrfprotect(app)
        check_views(app)

    # --- the current app's consent, for code that holds the Consent object -------------------------------

    def state(self) -> ConsentState:
        """The current request's consent state (what ``current_consent`` is)."""
        return consent_state()

    def commit(self, before: ConsentState, after: ConsentState, *, method: str) -> ConsentRecord | None:
        """Record a change of the current visitor's consent (see ``context.record_change``)."""
        return record_change(before, after, method=method)

    def components(self) -> Components:
        """The current app's components."""
        return components()

    def flush_spool(self) -> int:
        """Replay records spooled during a database outage into the current app's consent log."""
        return components().flush_spool()

    def declaration(self, locale: str | None = None) -> list[dict[str, Any]]:
        """Every purpose of the current app with its vendors, cookies and lifetimes."""
        return components().declaration(locale)

    def banner(self) -> Markup:
        """The banner or the "Privacy choices" control for the current request (``consent_banner()``)."""
        return banner_helpers.banner()


def build_components(
    app: Flask, settings: Settings, purposes: list[Purpose], store: ConsentStore | None
) -> Components:
    """Make ``app``'s consent components from its settings; none of them knows the others' owner."""
    keys = [k for k in [*(app.config.get("SECRET_KEY_FALLBACKS") or []), app.secret_key] if k]
    if not keys and settings.refusal is not None:
        keys = [secrets.token_bytes(32)]  # never signs anything: the app refuses every request
    registry = PurposeRegistry(purposes, necessary_cookies=own_cookies(app, settings))
    # The instance folder holds the spool and the IP-hash key, and the SQLite log by default: SQLite cannot
    # create the file's folder itself.
    os.makedirs(app.instance_path, exist_ok=True)
    if store is None:
        store = SQLStore(settings.database_url, create_tables=settings.create_tables)
    spool = Spool(settings.instance_path)
    recorder = Recorder(
        store, spool, IpHasher(settings.ip_hash_key, settings.instance_path), registry, settings.policy_version
    )
    return Components(
        settings=settings,
        registry=registry,
        codec=CookieCodec(keys),
        csrf=CsrfSigner(keys),
        spool=spool,
        recorder=recorder,
        cookie_notes=CookieNotes(settings.instance_path),
        limiter=(RateLimit(settings.rate_limit, settings.rate_limit_storage_uri, settings.rate_limit_key)
                 if settings.rate_limit else None),
        host_urls=bool(app.url_map.host_matching or app.subdomain_matching),
    )


def _exempt_from_csrfprotect(app: Flask) -> None:
    """Let ``POST /consent`` past Flask-WTF's ``CSRFProtect``: the view checks its own token (and Flask-WTF's)
    itself. Called at set-up and on the first request, for a ``CSRFProtect`` set up after this extension."""
    protect = app.extensions.get("csrf")
    if protect is not None and hasattr(protect, "exempt"):
        protect.exempt(blueprint)


def check_views(app: Flask) -> None:
    """Fail fast on ``@consent_required`` with a purpose key this app does not declare."""
    registry = components(app).registry
    for endpoint, view in app.view_functions.items():
        for key in _purpose_keys(view):
            if key not in registry:
                raise ConfigurationError(
                    f"View {endpoint!r} uses @consent_required({key!r}) but no purpose {key!r} is declared. "
                    f"Known purposes: {', '.join(registry)}. Add Purpose({key!r}, ...) or fix the key."
                )


def check_base_template(app: Flask) -> None:
    """Fail fast when ``CONSENT_BASE_TEMPLATE`` names a template the app cannot load (checked on the first
    request: a blueprint registered after the extension may bring it)."""
    name = components(app).settings.base_template
    if name is None:
        return
    try:
        app.jinja_env.get_template(name)
    except TemplateNotFound:
        raise ConfigurationError(
            f"CONSENT_BASE_TEMPLATE is {name!r}, a template this app cannot find: fix the name or add the template "
            "(it must fill the blocks 'title' and 'content'), or set it to None for the extension's own layout."
        ) from None


def _purpose_keys(view: Any) -> Iterator[str]:
    """The purposes ``@consent_required`` names on a view function, or on the methods of a class-based view
    (``View.as_view``: its ``dispatch_request``, or a ``MethodView``'s ``get``, ``post``, ...)."""
    yield from getattr(view, "__consent_purposes__", ())
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        for name in ("dispatch_request", *(m.lower() for m in view_class.methods or ())):
            yield from getattr(getattr(view_class, name, None), "__consent_purposes__", ())


def _refuse_to_serve() -> None:
    """Refuse a request of an app whose SECRET_KEY was found missing or weak (see ``Settings.refusal``)."""
    raise ConfigurationError(str(components().settings.refusal))


def _first_request() -> None:
    """Checks that need the app fully set up, once, on its first request; then the hook takes itself off."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    check_views(app)
    check_base_template(app)
    _exempt_from_csrfprotect(app)
    hooks = app.before_request_funcs.get(None)
    if hooks is not None:  # a new list: Flask may be iterating over the old one right now
        app.before_request_funcs[None] = [f for f in hooks if f is not _first_request]


def _finish(sender: Flask, response: Response, **_: Any) -> None:
    """``request_finished`` receiver: apply the request's consent to the response about to be sent."""
    finish(response)
