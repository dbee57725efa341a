"""Flask-Login integration: a member's choice follows them to a new device."""

from __future__ import annotations

from datetime import timezone
from typing import Any, cast

from flask import Flask, current_app

from .state import ConsentState, Decision, new_id
from .store import ConsentRecord


def state_from_record(record: ConsentRecord, device: ConsentState) -> ConsentState:
    """The decisions of ``record`` as a state on ``device``'s request (ids of the device kept)."""
    decisions = {k: Decision(True, v, record.gpc and k in device.registry.gpc_keys) for k, v in record.granted.items()}
    decisions.update({k: Decision(False, v) for k, v in record.denied.items()})
    decisions = {k: d for k, d in decisions.items() if k in device.registry.optional_keys}
    created = record.created_at.astimezone(timezone.utc)
    return ConsentState(
        registry=device.registry,
        policy_version=device.policy_version,
        max_age=device.max_age,
        now=device.now,
        decisions=decisions,
        decided_policy=record.policy_version,
        decided_at=created,
        changed_at=created,
        consent_id=record.consent_id,
        subject_id=record.subject_id,
        record_id=record.id,
        method=record.method,
        gpc=device.gpc,
    )


def merge_on_login(sender: Flask, user: Any, **_: Any) -> None:
    """At login the newer of the account's latest record and this device's cookie wins, on both."""
    from .extension import Consent

    ext = cast(Consent, current_app.extensions.get("consent"))
    if ext is None:
        return
    user_id = str(user.get_id())
    device = ext.state()
    latest = ext.store.latest_for_user(user_id)
    device_decided = bool(device.current_decisions())
    if latest is None:
        if device_decided:
            ext.commit(_blank(device), _renewed(device), method="login_merge")
        return
    account = state_from_record(latest, device)
    # The cookie keeps whole seconds, so compare whole seconds; on a tie the device in hand wins.
    account_newer = not device_decided or (
        device.changed_at is not None and int(latest.created_at.timestamp()) > int(device.changed_at.timestamp())
    )
    if account_newer:
        if not account.current_decisions():
            return  # the account's decisions are out of date: the banner asks on this device
        after = device.adopt(account, method="login_merge", record_id=new_id(16))
        if device.same_decisions(after):
            return
        ext.commit(device, after, method="login_merge")
    else:
        if account.same_decisions(device) and account.decided_policy == device.decided_policy:
            return
        ext.commit(_blank(device), _renewed(device), method="login_merge")


def _blank(state: ConsentState) -> ConsentState:
    return ConsentState(
        registry=state.registry, policy_version=state.policy_version, max_age=state.max_age, now=state.now,
        record_id=state.record_id, gpc=state.gpc,
    )


def _renewed(state: ConsentState) -> ConsentState:
    from dataclasses import replace

    return replace(state, record_id=new_id(16), method="login_merge")


def connect_login(app: Flask) -> None:
    """Listen for Flask-Login's ``user_logged_in`` on ``app`` when Flask-Login is installed."""
    try:
        from flask_login import user_logged_in
    except ImportError:  # pragma: no cover - Flask-Login is optional
        return
    user_logged_in.connect(merge_on_login, app, weak=False)
