"""The app's ``CONSENT_*`` configuration, checked once at start-up and read as one frozen :class:`Settings`.

Defaults live in :mod:`flask_consent.config`; ``init_app`` sets them with ``setdefault`` and builds the
settings from the result. A developer mistake raises :class:`ConfigurationError` here, naming the fix.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo, run_command

from . import config
from .exc import ConfigurationError

log = logging.getLogger("flask_consent")

#: Placeholder secret keys that are refused outside debug and testing.
WEAK_KEYS = frozenset({"dev", "secret", "change-me", "changeme", "development", "test", "secret-key", "default"})
UNDECLARED_MODES = ("warn", "block", "allow")
COLOR_SCHEMES = ("auto", "light", "dark")
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
        limit = cfg.get("WTF_CSRF_TIME_LIMIT", 3600)
        database_url = cfg["CONSENT_DATABASE_URL"] or f"sqlite:///{Path(app.instance_path) / 'consent.db'}"
        return cls(
            cookie_name=cfg["CONSENT_COOKIE_NAME"],
            max_age=as_timedelta(cfg["CONSENT_MAX_AGE"]),
            policy_version=str(cfg["CONSENT_POLICY_VERSION"]),
            policy_url=cfg["CONSENT_POLICY_URL"],
            auto_inject=bool(cfg["CONSENT_AUTO_INJECT"]),
            cookie_secure=_secure(cfg["CONSENT_COOKIE_SECURE"], cfg.get("SESSION_COOKIE_SECURE")),
            cookie_samesite=str(cfg["CONSENT_COOKIE_SAMESITE"] or cfg.get("SESSION_COOKIE_SAMESITE") or "Lax"),
            cookie_domain=cfg["CONSENT_COOKIE_DOMAIN"] or cfg.get("SESSION_COOKIE_DOMAIN") or None,
            undeclared_cookies=cfg["CONSENT_UNDECLARED_COOKIES"],
            locale_selector=cfg["CONSENT_LOCALE_SELECTOR"],
            csp_nonce=cfg["CONSENT_CSP_NONCE"],
            ip_hash_key=ip_hash_key_bytes(cfg["CONSENT_IP_HASH_KEY"]),
            controller=cfg["CONSENT_CONTROLLER"],
            jurisdiction=cfg["CONSENT_JURISDICTION"],
            gpc_last_update=cfg["CONSENT_GPC_LAST_UPDATE"],
            url_prefix=cfg["CONSENT_URL_PREFIX"],
            rate_limit=cfg["CONSENT_RATE_LIMIT"] or None,
            rate_limit_storage_uri=cfg["CONSENT_RATE_LIMIT_STORAGE_URI"],
            rate_limit_key=cfg["CONSENT_RATE_LIMIT_KEY"],
            create_tables=bool(cfg["CONSENT_CREATE_TABLES"]),
            base_template=cfg["CONSENT_BASE_TEMPLATE"],
            color_scheme=cfg["CONSENT_COLOR_SCHEME"],
            database_url=database_url,
            instance_path=app.instance_path,
            session_cookie_name=cfg.get("SESSION_COOKIE_NAME", "session"),
            csrf_time_limit=None if limit is None else float(limit),
            refusal=refusal,
        )


def _secure(configured: bool | None, session: bool | None) -> bool | None:
    """``CONSENT_COOKIE_SECURE`` when set, else True when Flask's session cookie is Secure, else None: the
    request's scheme decides (a cookie set over HTTPS is always Secure)."""
    if configured is not None:
        return bool(configured)
    return True if session else None


def as_timedelta(value: Any) -> timedelta:
    """``CONSENT_MAX_AGE`` as a timedelta (a number is seconds); anything else is a configuration error."""
    if isinstance(value, timedelta) and value.total_seconds() > 0:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return timedelta(seconds=value)
    raise ConfigurationError(f"CONSENT_MAX_AGE must be a timedelta or a number of seconds > 0, got {value!r}.")


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
