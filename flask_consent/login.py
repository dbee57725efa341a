"""Flask-Login integration: a member's decisions follow them across devices; their identity never does.

Connected automatically when Flask-Login is installed. At sign-in (``user_logged_in``) the newer of the
account's latest record (found by the member's ``get_id()``) and this device's cookie wins, on both: a newer
account choice is copied onto the device, a newer device choice is recorded for the account. Only the
*decisions* travel: the device keeps its own subject id, so a member's history and records never reach a
shared device. At sign-out (``user_logged_out``) the device becomes a new visitor: its consent cookie is
expired and the banner asks the next person again; so it does when a member signs in over another member
who never signed out.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timezone
from typing import Any

from flask import Flask

from .components import components
from .context import consent_state, cookie_state, forget_visitor, record_change, request_consent
from .recording import checked_user_id
from .spool import STORE_ERRORS, Spool
from .state import ConsentState, Decision, new_id
from .store import ConsentRecord, ConsentStore

log = logging.getLogger("flask_consent")


def decisions_of(record: ConsentRecord, device: ConsentState) -> ConsentState:
    """The decisions of ``record`` as a state on ``device``'s request, with no ids of the record's subject."""
    decisions = {k: Decision(True, v, record.gpc and k in device.registry.gpc_keys) for k, v in record.granted.items()}
    decisions.update({k: Decision(False, v) for k, v in record.denied.items()})
    created = record.created_at.astimezone(timezone.utc)
    return ConsentState(
        registry=device.registry,
        policy_version=device.policy_version,
        max_age=device.max_age,
        now=device.now,
        decisions={k: d for k, d in decisions.items() if k in device.registry.optional_keys},
        decided_policy=record.policy_version,
        decided_at=created,
        changed_at=created,
        gpc=device.gpc,
    )


def merge_on_login(sender: Flask, user: Any, **_: Any) -> None:
    """At sign-in the newer of the account's latest record and this device's cookie wins, on both."""
    if "consent" not in sender.extensions:
        return
    comps = components(sender)
    store = comps.store
    user_id = checked_user_id(str(user.get_id())) or ""
    # Both looked up before the device's state is read for this request: reading it honours a GPC signal,
    # whose record would already carry this member's id.
    cookie = cookie_state(request_consent())
    try:
        latest = store.latest_for_user(user_id)
        other_member = held_by_another_member(cookie, store, user_id, comps.spool)
    except STORE_ERRORS as exc:
        # The log is down: sign-in goes on, without a merge. Whose decisions the device holds cannot be told,
        # so a device that holds any becomes a new visitor (the banner asks; the answer is spooled).
        log.warning("flask_consent: consent store unavailable at sign-in (%s); no merge this time", exc)
        if cookie.record_id is not None:
            forget_visitor()
        return
    if other_member:
        # Flask-Login signs a member in over another without signing that one out: the device's decisions
        # are the other member's, so it first becomes a new visitor, as at sign-out.
        forget_visitor()
    device = consent_state()
    # Refusals of the GPC signal's purposes are no choice to set against the account's: the signal makes them
    # on its own (and makes them again on this device whatever the account holds).
    device_decided = any(
        d.granted or k not in device.registry.gpc_keys for k, d in device.current_decisions().items()
    )
    if latest is None:
        if device_decided:  # the account's first record: this device's choice
            record_change(_blank(device), replace(device, record_id=new_id(16), method="login_merge"),
                          method="login_merge")
        return
    account = decisions_of(latest, device)
    # The cookie keeps whole seconds, so compare whole seconds; on a tie the device in hand wins.
    account_newer = not device_decided or (
        device.changed_at is not None and int(latest.created_at.timestamp()) > int(device.changed_at.timestamp())
    )
    if account_newer:
        if not account.current_decisions():
            return  # the account's decisions are out of date: the banner asks on this device
        after = device.adopt(account, method="login_merge")
        if not device.same_decisions(after):
            record_change(device, after, method="login_merge")
    elif not (account.same_decisions(device) and account.decided_policy == device.decided_policy):
        record_change(_blank(device), replace(device, record_id=new_id(16), method="login_merge"),
                      method="login_merge")


def held_by_another_member(device: ConsentState, store: ConsentStore, user_id: str, spool: Spool) -> bool:
    """True when the device's decisions were last recorded for a member other than ``user_id`` (its last
    record names who was signed in when it was made), in the log or still in the spool after an outage."""
    if device.record_id is None:
        return False
    record = store.get(device.record_id) or spool.find(device.record_id)
    return record is not None and record.user_id is not None and record.user_id != user_id


def forget_on_logout(sender: Flask, user: Any, **_: Any) -> None:
    """At sign-out the device becomes a new visitor (a shared computer must not keep the member's choices)."""
    if "consent" in sender.extensions:
        forget_visitor()


def _blank(state: ConsentState) -> ConsentState:
    """``state`` with no decisions (so that recording ``state`` again is a change)."""
    return replace(state, decisions={}, decided_policy=None, decided_at=None)


def connect_login(app: Flask) -> None:
    """Listen for Flask-Login's sign-in and sign-out on ``app`` when Flask-Login is installed."""
    try:
        from flask_login import user_logged_in, user_logged_out
    except ImportError:  # pragma: no cover - Flask-Login is optional
        return
    user_logged_in.connect(merge_on_login, app, weak=False)
    user_logged_out.connect(forget_on_logout, app, weak=False)
