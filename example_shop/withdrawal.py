"""What happens when a visitor withdraws a purpose: the data collected under it is deleted in the same
request, through the extension's ``consent_changed`` signal. (The extension itself expires the purpose's
cookies.)"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_login import current_user

from flask_consent import ConsentState
from flask_consent.signals import consent_changed

from .extensions import db
from .models import AnalyticsEvent, BrowsingEvent, PartnerShare
from .thirdparty import analytics_of


def forget_withdrawn(sender: Flask, before: ConsentState, after: ConsentState, **_: Any) -> None:
    """Delete the data a visitor collected under a purpose they just withdrew."""
    withdrawn = {k for k in ("recommendations", "analytics", "third_party_sharing")
                 if before.granted(k) and not after.granted(k)}
    if not withdrawn:
        return
    member = int(current_user.id) if current_user.is_authenticated else None
    if "recommendations" in withdrawn:
        who = [BrowsingEvent.subject_id == after.subject_id]
        if member:
            who.append(BrowsingEvent.user_id == member)
        db.session.execute(db.delete(BrowsingEvent).where(db.or_(*who)))
    if "analytics" in withdrawn:
        db.session.execute(db.delete(AnalyticsEvent).where(analytics_of(member)))
    if "third_party_sharing" in withdrawn and member:
        db.session.execute(db.delete(PartnerShare).where(PartnerShare.user_id == member))
    db.session.commit()


def connect_withdrawal(app: Flask) -> None:
    consent_changed.connect(forget_withdrawn, app, weak=False)
