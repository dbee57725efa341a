"""The security log (``/account/security``): each sign-in of a member, with its time, the browser family and
a keyed hash of the IP address, kept ``KEEP`` and shown to the member, in their data download and deleted
with their account.

The IP address itself is never stored: an HMAC-SHA256 with a key kept in the instance folder
(``signin_ip_key``, mode 0600) tells two sign-ins from the same address apart from others without making the
address recoverable from the database alone. The user-agent is reduced to its browser family.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request
from flask_login import user_logged_in

from .extensions import db
from .models import SignIn, utcnow

#: How long a sign-in stays in the log (the privacy policy states it).
KEEP = timedelta(days=180)
#: User-agent markers, most specific first: Edge's and Opera's agents also name Chrome and Safari.
_FAMILIES: tuple[tuple[str, str], ...] = (
    ("Edg/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser/", "Samsung Internet"), ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari"),
)


def browser_family(user_agent: str) -> str:
    """The browser family of a user-agent string (``Firefox``, ``Chrome``…), or ``Other``."""
    return next((family for marker, family in _FAMILIES if marker in user_agent), "Other")


def ip_hash(address: str) -> str:
    """The keyed hash of an IP address (hex)."""
    key: bytes = current_app.extensions["shop_signin_key"]
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def prune(now: datetime | None = None) -> int:
    """Delete sign-ins older than ``KEEP``; returns how many."""
    result = db.session.execute(db.delete(SignIn).where(SignIn.at < (now or utcnow()) - KEEP))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def record_sign_in(sender: Flask, user: Any, **_: Any) -> None:
    """Flask-Login's ``user_logged_in``: log this sign-in (and drop the ones past ``KEEP``)."""
    prune()
    db.session.add(SignIn(user_id=user.id, ip_hash=ip_hash(request.remote_addr or ""),
                          device=browser_family(request.user_agent.string)))
    db.session.commit()


def sign_ins_of(user_id: int) -> list[SignIn]:
    """A member's sign-ins, newest first."""
    return list(db.session.scalars(
        db.select(SignIn).where(SignIn.user_id == user_id).order_by(SignIn.at.desc(), SignIn.id.desc())))


def init_signins(app: Flask) -> None:
    """Load (or create) the IP hashing key and log every sign-in of ``app``."""
    from . import instance_secret  # here, not at the top: the package imports this module while loading


    app.extensions["shop_signin_key"] = instance_secret(Path(app.instance_path), "signin_ip_key").encode()
    user_logged_in.connect(record_sign_in, app, weak=False)
