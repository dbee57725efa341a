"""Writing a visitor's choice: the consent log record (or the spool when the log is down), the cookie it
queues and the ``consent_changed`` signal.

Each public function takes the :class:`~flask_consent.extension.Consent` object first and is bound as a
method of it (``consent.commit(...)``, ``consent.flush_spool()``).
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app, request

from .context import _req
from .i18n import strings
from .records import banner_text_hash, ip_hash, make_record, ua_family
from .signals import consent_changed
from .spool import STORE_ERRORS
from .state import ConsentState, new_id
from .store import ConsentRecord

if TYPE_CHECKING:
    from .extension import Consent

log = logging.getLogger("flask_consent")


def commit(ext: Consent, before: ConsentState, after: ConsentState, *, method: str) -> ConsentRecord | None:
    """Record the change from ``before`` to ``after``, queue the new cookie and send the signal.

    Returns None (and writes nothing) when the decisions did not change.
    """
    if before.same_decisions(after) and before.granted_keys() == after.granted_keys():
        return None
    record_id = after.record_id
    if record_id is None:
        record_id = new_id(16)
        after = replace(after, record_id=record_id)
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # each context looked up once
    req = request._get_current_object()  # type: ignore[attr-defined]
    r = _req()
    locale = ext.locale(r, req)
    environ = req.environ  # REMOTE_ADDR as ProxyFix leaves it; the User-Agent header as sent
    record = make_record(
        after,
        record_id=record_id,
        previous_id=before.record_id,
        method=method,
        banner_hash=ext.banner_hash(locale),
        locale=locale,
        user_id=_user_id(app),
        ip_hash_value=ip_hash(environ.get("REMOTE_ADDR"), _ip_hash_key(ext)),
        ua=ua_family(environ.get("HTTP_USER_AGENT")),
        now=after.now,
    )
    _append(ext, record)
    r.state = after
    r.new_state = after
    # A stored grant counts even when a GPC signal already refuses it on this request: the signal
    # withdrawing it must expire its cookies too.
    if before.current_decisions():  # a first choice withdraws nothing
        r.withdrawn = (*r.withdrawn, *(
            p for p in ext.registry.optional
            if (d := before.current(p.key)) is not None and d.granted and not after.granted(p.key)
        ))
    consent_changed.send(app, before=before, after=after, record=record)
    return record


def _append(ext: Consent, record: ConsentRecord) -> None:
    """Write ``record`` to the store, or to the spool when the store fails: the choice still applies."""
    try:
        ext.store.append(record)
    except STORE_ERRORS as exc:
        log.warning("flask_consent: consent store unavailable (%s); record %s spooled", exc, record.id)
        ext.spool.append(record)
        return
    if ext.spool.pending():
        ext.flush_spool(wait=False)


def flush_spool(ext: Consent, wait: bool = True) -> int:
    """Replay spooled records into the store; return how many were new. ``flask consent flush`` calls it.

    With ``wait=False`` (after a successful write) it returns 0 at once when another thread is already
    replaying, and a store that fails again only logs: the records stay spooled for the next attempt.
    """
    if not ext._replaying.acquire(blocking=wait):
        return 0
    try:
        return ext.spool.replay(ext.store)  # type: ignore[arg-type]
    except STORE_ERRORS as exc:
        if wait:
            raise
        log.warning("flask_consent: spool replay failed (%s); will retry after the next write", exc)
        return 0
    finally:
        ext._replaying.release()
def _ip_hash_key(ext: Consent) -> bytes:
    """The key of the keyed IP hash: ``CONSENT_IP_HASH_KEY``, else a random one kept in the instance folder."""
    configured = ext._config["CONSENT_IP_HASH_KEY"]
    if configured:
        return configured.encode() if isinstance(configured, str) else bytes(configured)
    if ext._ip_key is None:
        path = Path(ext.instance_path) / "consent-ip-hash.key"
        try:
            ext._ip_key = path.read_bytes().strip()
        except OSError:
            os.makedirs(ext.instance_path, exist_ok=True)
            key = secrets.token_hex(32).encode()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(key)
            ext._ip_key = key
    return ext._ip_key


def banner_hash(ext: Consent, locale: str) -> str:
    """The hash of what the banner says in ``locale``, kept per locale, that records cite."""
    h = ext._banner_hashes.get(locale)
    if h is None:
        h = ext._banner_hashes[locale] = banner_text_hash(
            ext.registry, strings(locale), locale, ext.policy_version
        )
    return h



def _user_id(app: Flask | None = None) -> str | None:
    """The signed-in Flask-Login user's id, or None (no Flask-Login, or nobody signed in)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if "login_manager" not in app.extensions and "login_manager" not in vars(app):
        return None
    try:
        from flask_login import current_user
    except ImportError:  # pragma: no cover - Flask-Login is optional
        return None
    if current_user and current_user.is_authenticated:
        return str(current_user.get_id())
    return None

