"""The app's ``CONSENT_*`` configuration, checked once at start-up and read as one frozen :class:`Settings`.

Defaults live in :mod:`flask_consent.config`; ``init_app`` sets them with ``setdefault`` and builds the
settings from the result. A developer mistake raises :class:`ConfigurationError` here, naming the fix.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo, run_command
from limits import parse_many

from . import config
from .exc import ConfigurationError

log = logging.getLogger("flask_consent")

#: Placeholder secret keys that are refused outside debug and testing.
WEAK_KEYS = frozenset({"dev", "secret", "change-me", "changeme", "development", "test", "secret-key", "default"})
UNDECLARED_MODES = ("warn", "block", "allow")
COLOR_SCHEMES = ("auto", "light", "dark")
SAMESITE_VALUES = ("Lax", "Strict", "None")
#: The longest ``CONSENT_MAX_AGE``: the consent cookie must outlive a decision, and browsers cap cookies at 400 days.
MAX_AGE_LIMIT = timedelta(days=395)
#: The shortest key accepted for the keyed hash of IP addresses (enumerating IPv4 must stay out of reach).
MIN_IP_HASH_KEY_BYTES = 32


@dataclass(frozen=True)
class Settings:
    """Everything the extension reads from the app's config, read once (see :mod:`flask_consent.config`)."""

    cookie_name: str
    max_age: timedelta
    policy_version: str
    policy_url: str | None
    auto_inject: bool
    cookie_secure: bool | None
    cookie_samesite: str
    cookie_domain: str | None
    undeclared_cookies: str
    locale_selector: Callable[[], str | None] | None
    csp_nonce: Callable[[], str | None] | None
    ip_hash_key: bytes | None
    controller: Mapping[str, str] | None
    jurisdiction: str
    gpc_last_update: str
    url_prefix: str
    rate_limit: str | None
    rate_limit_storage_uri: str
    rate_limit_key: Callable[[], str] | None
    create_tables: bool
    base_template: str | None
    color_scheme: str
    database_url: str
    instance_path: str
    session_cookie_name: str
    #: Flask-WTF's ``WTF_CSRF_TIME_LIMIT``: how long a consent-form token stays valid (None: no limit).
    csrf_time_limit: float | None
    #: Why this app must not serve (a missing or weak ``SECRET_KEY`` found while a ``flask`` command other
    #: than ``run`` loaded it), else None. Every request is then refused with this message.
    refusal: str | None = None

    @property
    def csrf_cookie_name(self) -> str:
        """The consent forms' CSRF cookie (``__Host-`` prefixed over HTTPS, see :mod:`flask_consent.csrf`)."""
        return f"{self.cookie_name}_csrf"

    @property
    def cookie_lifetime(self) -> int:
        """Seconds the consent cookie lives: twice ``max_age`` (a decision is re-asked, never lost), at most
        the 400 days browsers allow, never less than ``max_age``."""
        seconds = self.max_age.total_seconds()
        return int(max(min(2 * seconds, 395 * 86400), seconds))

    @classmethod
    def from_app(cls, app: Flask) -> Settings:
        """Set the defaults on ``app.config``, check them and read them."""
        for key, value in config.defaults().items():
            app.config.setdefault(key, value)
        cfg = app.config
        refusal = check_secret_key(app)
        if cfg["CONSENT_UNDECLARED_COOKIES"] not in UNDECLARED_MODES:
            raise ConfigurationError(
                f"CONSENT_UNDECLARED_COOKIES is {cfg['CONSENT_UNDECLARED_COOKIES']!r}; use 'warn', 'block' or 'allow'."
            )
        if cfg["CONSENT_COLOR_SCHEME"] not in COLOR_SCHEMES:
            raise ConfigurationError(
                f"CONSENT_COLOR_SCHEME is {cfg['CONSENT_COLOR_SCHEME']!r}; use 'auto', 'light' or 'dark'."
            )
        _check_translation_directories(cfg["CONSENT_TRANSLATION_DIRECTORIES"])
        secure = _secure(_flag(cfg, "CONSENT_COOKIE_SECURE", optional=True), cfg.get("SESSION_COOKIE_SECURE"))
        database_url = cfg["CONSENT_DATABASE_URL"] or f"sqlite:///{Path(app.instance_path) / 'consent.db'}"
        return cls(
            cookie_name=cfg["CONSENT_COOKIE_NAME"],
            max_age=as_timedelta(cfg["CONSENT_MAX_AGE"]),
            policy_version=str(cfg["CONSENT_POLICY_VERSION"]),
            policy_url=cfg["CONSENT_POLICY_URL"],
            auto_inject=_flag(cfg, "CONSENT_AUTO_INJECT"),
            cookie_secure=secure,
            cookie_samesite=_samesite(cfg, secure),
            cookie_domain=cfg["CONSENT_COOKIE_DOMAIN"] or cfg.get("SESSION_COOKIE_DOMAIN") or None,
            undeclared_cookies=cfg["CONSENT_UNDECLARED_COOKIES"],
            locale_selector=_callable(cfg, "CONSENT_LOCALE_SELECTOR", "a function returning the request's locale"),
            csp_nonce=_callable(cfg, "CONSENT_CSP_NONCE", "a function returning this request's nonce"),
            ip_hash_key=ip_hash_key_bytes(cfg["CONSENT_IP_HASH_KEY"]),
            controller=_controller(cfg["CONSENT_CONTROLLER"]),
            jurisdiction=cfg["CONSENT_JURISDICTION"],
            gpc_last_update=_iso_date(cfg["CONSENT_GPC_LAST_UPDATE"]),
            url_prefix=cfg["CONSENT_URL_PREFIX"],
            rate_limit=_rate_limit(cfg["CONSENT_RATE_LIMIT"]),
            rate_limit_storage_uri=cfg["CONSENT_RATE_LIMIT_STORAGE_URI"],
            rate_limit_key=_callable(cfg, "CONSENT_RATE_LIMIT_KEY", "a function naming the client to count"),
            create_tables=_flag(cfg, "CONSENT_CREATE_TABLES"),
            base_template=cfg["CONSENT_BASE_TEMPLATE"],
            color_scheme=cfg["CONSENT_COLOR_SCHEME"],
            database_url=database_url,
            instance_path=app.instance_path,
            session_cookie_name=cfg.get("SESSION_COOKIE_NAME", "session"),
            csrf_time_limit=_csrf_time_limit(cfg.get("WTF_CSRF_TIME_LIMIT", 3600)),
            refusal=refusal,
        )


def _secure(configured: bool | None, session: bool | None) -> bool | None:
    """``CONSENT_COOKIE_SECURE`` when set, else True when Flask's session cookie is Secure, else None: the
    request's scheme decides (a cookie set over HTTPS is always Secure)."""
    if configured is not None:
        return bool(configured)
    return True if session else None


def as_timedelta(value: Any) -> timedelta:
    """``CONSENT_MAX_AGE`` as a timedelta (a number is seconds), at most :data:`MAX_AGE_LIMIT`; anything else
    is a configuration error."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        value = timedelta(seconds=value)
    if not isinstance(value, timedelta) or value.total_seconds() <= 0:
        raise ConfigurationError(f"CONSENT_MAX_AGE must be a timedelta or a number of seconds > 0, got {value!r}.")
    if value > MAX_AGE_LIMIT:
        raise ConfigurationError(
            f"CONSENT_MAX_AGE is {value}; use at most {MAX_AGE_LIMIT.days} days (browsers keep a cookie "
            "at most 400 days, so a longer decision would be forgotten, not re-asked), e.g. timedelta(days=182)."
        )
    return value


def _flag(cfg: Mapping[str, Any], key: str, *, optional: bool = False) -> Any:
    """A ``True``/``False`` setting (or None when ``optional``); a string such as ``"false"``, which Python
    reads as true, is a configuration error."""
    value = cfg[key]
    if isinstance(value, bool) or (optional and value is None):
        return value
    if isinstance(value, int) and value in (0, 1):  # what from_prefixed_env makes of FLASK_..._X=0 or 1
        return bool(value)
    allowed = "True, False or None" if optional else "True or False"
    raise ConfigurationError(
        f"{key} is {value!r}; use {allowed} (or 1 and 0). A value read from the environment must be converted "
        "first, e.g. os.environ.get(...) == '1', or loaded with app.config.from_prefixed_env()."
    )


def _samesite(cfg: Mapping[str, Any], secure: bool | None) -> str:
    value = cfg["CONSENT_COOKIE_SAMESITE"] or cfg.get("SESSION_COOKIE_SAMESITE") or "Lax"
    if not isinstance(value, str) or value.title() not in SAMESITE_VALUES:
        raise ConfigurationError(
            f"CONSENT_COOKIE_SAMESITE (or SESSION_COOKIE_SAMESITE) is {value!r}; use 'Lax', 'Strict' or 'None'."
        )
    if value.title() == "None" and secure is not True:
        raise ConfigurationError(
            "CONSENT_COOKIE_SAMESITE (or SESSION_COOKIE_SAMESITE) is 'None', which browsers accept only on a Secure "
            "cookie: set CONSENT_COOKIE_SECURE = True (the site is served over HTTPS only), or use 'Lax'."
        )
    return value.title()


def _callable(cfg: Mapping[str, Any], key: str, what: str) -> Any:
    value = cfg[key]
    if value is None or callable(value):
        return value
    raise ConfigurationError(f"{key} is {value!r}; it must be {what} (or None), not a value.")


def _controller(value: Any) -> Mapping[str, str] | None:
    if value is None or isinstance(value, Mapping):
        return value
    raise ConfigurationError(
        f"CONSENT_CONTROLLER is {value!r}; use a dict naming who is responsible for the data, e.g. "
        "{'piiController': 'Shop Ltd', 'contact': 'privacy@shop.example'}."
    )


def _iso_date(value: Any) -> str:
    """``CONSENT_GPC_LAST_UPDATE`` as the ``YYYY-MM-DD`` that ``/.well-known/gpc.json`` serves."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise ConfigurationError(f"CONSENT_GPC_LAST_UPDATE is {value!r}; use a date or a 'YYYY-MM-DD' string.")


def _rate_limit(value: Any) -> str | None:
    """``CONSENT_RATE_LIMIT`` in the ``limits`` library's notation (checked with it), or None (off)."""
    if not value:
        return None
    try:
        parse_many(value)
    except (ValueError, TypeError):
        raise ConfigurationError(
            f"CONSENT_RATE_LIMIT is {value!r}; use the limits notation, e.g. '30/minute' or '100 per hour' "
            "(or None to turn the limit off)."
        ) from None
    return str(value)


def _check_translation_directories(value: Any) -> None:
    if value is None or isinstance(value, (str, os.PathLike)):
        return
    if isinstance(value, (list, tuple)) and all(isinstance(d, (str, os.PathLike)) for d in value):
        return
    raise ConfigurationError(
        f"CONSENT_TRANSLATION_DIRECTORIES is {value!r}; use a folder, a ';'-separated string of folders or a list "
        "of folders (relative to the app's root), or None for Flask-Babel's BABEL_TRANSLATION_DIRECTORIES."
    )


def _csrf_time_limit(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise ConfigurationError(f"WTF_CSRF_TIME_LIMIT is {value!r}; use a number of seconds > 0, or None for no limit.")


def ip_hash_key_bytes(value: str | bytes | None) -> bytes | None:
    """``CONSENT_IP_HASH_KEY`` as bytes; a key shorter than 32 bytes is refused (a short key makes the IP
    hashes reversible by enumerating addresses)."""
    if not value:
        return None
    key = value.encode() if isinstance(value, str) else bytes(value)
    if len(key) < MIN_IP_HASH_KEY_BYTES:
        raise ConfigurationError(
            f"CONSENT_IP_HASH_KEY is {len(key)} bytes; use at least {MIN_IP_HASH_KEY_BYTES}, e.g. "
            "python -c 'import secrets; print(secrets.token_hex(32))'."
        )
    return key


def weak_secret_key(key: str | bytes | None) -> str | None:
    """Why ``key`` cannot sign consent cookies, or None when it can."""
    text = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key or "")
    if not text:
        return "SECRET_KEY is not set"
    if len(text) < 16 or text.lower() in WEAK_KEYS:
        return "SECRET_KEY is weak (shorter than 16 characters or a well-known placeholder)"
    return None


def check_secret_key(app: Flask) -> str | None:
    """Refuse a missing SECRET_KEY, and outside debug and testing a short or well-known one (debug warns).

    A ``flask`` command other than ``run`` (``flask consent check``, ``flask consent --help``, a migration)
    loads the app without serving it: there the refusal is returned instead of raised, so that ``check`` can
    report it, and the app refuses every request with it (see :func:`loaded_by_flask_command`).
    """
    problem = weak_secret_key(app.secret_key)
    fix = (
        "Set app.config['SECRET_KEY'] to a long random value, e.g. the output of "
        "python -c 'import secrets; print(secrets.token_hex(32))'."
    )
    if problem is None:
        return None
    if not app.secret_key:
        refusal = f"flask_consent signs the consent cookie with SECRET_KEY, which is not set. {fix}"
    elif app.debug or app.testing:
        log.warning("flask_consent: %s; fine for development, refused in production. %s", problem, fix)
        return None
    else:
        refusal = f"{problem}: it cannot sign consent cookies. {fix}"
    if loaded_by_flask_command():
        return refusal
    raise ConfigurationError(refusal)


def loaded_by_flask_command() -> bool:
    """True when the Flask CLI loads the app for a command other than ``flask run``.

    Such a command does not serve, so a bad SECRET_KEY must not stop it. Anything else (a WSGI server such as
    gunicorn importing the app, ``flask run``, a test, a script) has no Flask CLI context, or has ``run`` in it.
    """
    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.find_object(ScriptInfo) is None:
        return False
    while ctx is not None:
        if ctx.command is run_command or ctx.command.name == "run":
            return False
        ctx = ctx.parent
    return True
