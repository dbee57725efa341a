"""What happens when a visitor withdraws a purpose: the data collected under it is deleted in the same
request, through the extension's ``consent_changed`` signal. (The extension itself expires the purpose's
cookies.)"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_login import current_user

from flask_consent import ConsentState, current_consent
from flask_consent.signals import consent_changed

from .extensions import db
from .models import AnalyticsEvent, BrowsingEvent, PartnerShare
from .recommendations import browsing_of
from .thirdparty import ANALYTICS_COOKIE, analytics_of


def forget_withdrawn(sender: Flask, before: ConsentState, after: ConsentState, **_: Any) -> None:
    """Delete the data collected under every purpose the recorded decision refuses.

    Whatever came before: a withdrawal, a GPC opt-out of a stored grant, "Reject all" when the banner asks
    again after a new policy or an expiry (the old grants no longer hold, yet what they collected is still
    here), a refusal carried over to the account at sign-in. A purpose merely not decided (a grant that
    lapsed and was not answered again yet) is no refusal: its data stays, unused, until the visitor answers.
    """
    refused = {k for k in ("recommendations", "analytics", "third_party_sharing")
               if (d := after.current(k)) is not None and not d.granted}
    if not refused:
        return
    member = int(current_user.id) if current_user.is_authenticated else None
    if "recommendations" in refused:
        db.session.execute(db.delete(BrowsingEvent).where(browsing_of(after.subject_id, member)))
    if "analytics" in refused:
        db.session.execute(db.delete(AnalyticsEvent).where(analytics_of(member)))
    if "third_party_sharing" in refused and member:
        db.session.execute(db.delete(PartnerShare).where(PartnerShare.user_id == member))
    db.session.commit()


def forget_device_data() -> None:
    """At sign-out the device becomes a new visitor: the extension forgets its consent subject and expires its
    purpose cookies. What was collected about the device while nobody was signed in (its browsing and page
    views) could then never be reached, shown or deleted by anyone, so it is deleted now. The member's own data,
    kept under their account, stays theirs."""
    subject = current_consent.subject_id
    if subject:
        db.session.execute(db.delete(BrowsingEvent).where(
            BrowsingEvent.subject_id == subject, BrowsingEvent.user_id.is_(None)))
    visitor = request.cookies.get(ANALYTICS_COOKIE)
    if visitor:
        db.session.execute(db.delete(AnalyticsEvent).where(
            AnalyticsEvent.visitor == visitor, AnalyticsEvent.user_id.is_(None)))
    db.session.commit()


def connect_withdrawal(app: Flask) -> None:
    consent_changed.connect(forget_withdrawn, app, weak=False)
