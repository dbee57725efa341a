"""Start-up checks of the configuration: a developer mistake raises here, naming the fix."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask

from .exc import ConfigurationError

#: Placeholder secret keys that are refused outside debug and testing.
_WEAK_KEYS = {"dev", "secret", "change-me", "changeme", "development", "test", "secret-key", "default"}


def _days(n: int) -> dict[str, str]:
    """A cookie lifetime of ``n`` days, in each locale of the cookie declaration."""
    return {"en": f"{n} days", "zh-HK": f"{n} 日", "zh-CN": f"{n} 天"}


def _as_timedelta(value: Any) -> Any:
    """``CONSENT_MAX_AGE`` as a timedelta (a number is seconds); anything else is a configuration error."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return timedelta(seconds=value)
    raise ConfigurationError(f"CONSENT_MAX_AGE must be a timedelta or a number of seconds > 0, got {value!r}.")


def _check_secret_key(app: Flask) -> None:
    """Refuse a missing SECRET_KEY, and outside debug and testing a short or well-known one."""
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
