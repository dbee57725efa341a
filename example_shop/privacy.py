"""The privacy centre (``/privacy``) and the shop's privacy policy (``/privacy/policy``).

The centre shows the visitor's current choices and consent history, hands out all their data as JSON,
takes data requests (tracked against the 15-day target and the PDPO's 40-day limit, C27) and cancels
accounts.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, cast

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response

from flask_consent import current_consent
from flask_consent.i18n import MESSAGES, translate

from .data_requests import requests_of
from .deadlines import LEGAL_DAYS, TARGET_DAYS
from .extensions import db
from .forms import CancelForm, DataRequestForm
from .i18n import current_locale
from .models import (
    AnalyticsEvent,
    BrowsingEvent,
    DataRequest,
    Favourite,
    Interest,
    Order,
    PartnerShare,
    Review,
    Seller,
    SignIn,
    SupportCase,
    User,
)
from .recommendations import browsing_of
from .seller import sellers_of_order
from .shop import cart_lines
from .signins import KEEP as SIGNIN_KEEP
from .signins import sign_ins_of
from .support import cases_of
from .thirdparty import ANALYTICS_COOKIE, analytics_of

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


def _consent_ext() -> Any:
    return current_app.extensions["consent"]


def _member_id() -> int | None:
    return int(current_user.id) if current_user.is_authenticated else None


def _consent_records() -> list[dict[str, Any]]:
    """This visitor's consent records: the member's own, and this device's made while nobody or this member
    was signed in (another member's, on a device they left signed in, stay theirs)."""
    member = current_user.get_id() if current_user.is_authenticated else None
    records = _consent_ext().store.history(current_consent.subject_id, member)
    return [r.to_dict() for r in records if r.user_id in (None, member)]


def method_in_words(method: str) -> str:
    """How a choice was made, in the extension's own words ("You rejected all in the banner"), in the page's
    language, as its consent history and receipts say it; a method it has no words for, as logged."""
    key = "method_" + method
    return translate(current_locale(), key) if key in MESSAGES else method


def _centre(cancel_form: CancelForm) -> str:
    member = _member_id()
    return render_template(
        "privacy/centre.html",
        purposes=_consent_ext().declaration(current_locale()),
        records=_consent_records(),
        method_in_words=method_in_words,
        requests=requests_of(member) if member else [],
        request_form=DataRequestForm(),
        cancel_form=cancel_form,
        target_days=TARGET_DAYS,
        legal_days=LEGAL_DAYS,
    )


@bp.get("")
def centre() -> str:
    return _centre(CancelForm())


@bp.get("/")
def centre_slash() -> Response:
    """``/privacy/`` as typed by hand: the centre lives at ``/privacy``."""
    return redirect(url_for("privacy.centre"), 308)


@bp.get("/policy")
def policy() -> str:
    ext = _consent_ext()
    return render_template(
        "privacy/policy.html", purposes=ext.declaration(current_locale()), version=ext.policy_version,
        target_days=TARGET_DAYS, legal_days=LEGAL_DAYS, signin_days=SIGNIN_KEEP.days,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def collect_data() -> dict[str, Any]:
    """Everything the shop holds about this visitor (and member, when signed in)."""
    member = _member_id()
    subject = current_consent.subject_id
    data: dict[str, Any] = {"generated_at": _iso(datetime.now(timezone.utc)), "consent_subject_id": subject}
    if member:
        user = current_user
        data["profile"] = {"email": user.email, "name": user.name, "phone": user.phone, "address": user.address,
                           "created_at": _iso(user.created_at)}
        data["orders"] = [
            {"id": o.id, "created_at": _iso(o.created_at), "consignee": o.consignee, "address": o.address,
             "phone": o.phone, "total_cents": o.total_cents,
             "lines": [{"product": ln.product.name, "quantity": ln.quantity, "price_cents": ln.price_cents,
                        "seller": ln.product.seller.name if ln.product.seller else None} for ln in o.lines],
             "delivery_details_given_to_sellers": sellers_of_order(o)}
            for o in db.session.scalars(db.select(Order).where(Order.user_id == member))
        ]
        data["favourites"] = [f.product.name for f in db.session.scalars(
            db.select(Favourite).where(Favourite.user_id == member))]
        data["reviews"] = [{"product_id": r.product_id, "rating": r.rating, "body": r.body,
                            "created_at": _iso(r.created_at)}
                           for r in db.session.scalars(db.select(Review).where(Review.user_id == member))]
        data["shared_with_partners"] = [{"order_id": s.order_id, "partner": s.partner, "data": json.loads(s.payload)}
                                        for s in db.session.scalars(
                                            db.select(PartnerShare).where(PartnerShare.user_id == member))]
        data["support_cases"] = [
            {"kind": v.case.kind, "order_id": v.case.order_id, "message": v.case.message, "status": v.case.status,
             "reply": v.case.reply, "created_at": _iso(v.case.created_at), "target_due": v.target_due.isoformat(),
             "answered_at": _iso(v.case.answered_at)}
            for v in cases_of(member)
        ]
        data["interests"] = sorted(db.session.scalars(db.select(Interest.category).where(Interest.user_id == member)))
        data["security_log"] = [{"at": _iso(s.at), "device": s.device, "ip_hash": s.ip_hash}
                                for s in sign_ins_of(member)]
        data["data_requests"] = [{"kind": q.kind, "status": q.status, "details": q.details,
                                  "created_at": _iso(q.created_at), "received_hk": q.received.isoformat(),
                                  "target_due": q.target_due.isoformat(), "legal_due": q.legal_due.isoformat()}
                                 for q in requests_of(member)]
    data["cart"] = [{"product": p.name, "quantity": q} for p, q in cart_lines()[0]]
    data["browsing_history"] = [
        {"product": e.product.name, "viewed_at": _iso(e.viewed_at)}
        for e in db.session.scalars(db.select(BrowsingEvent).where(browsing_of(subject, member)))
    ]
    data["analytics_page_views"] = [
        {"path": e.path, "at": _iso(e.created_at)}
        for e in db.session.scalars(db.select(AnalyticsEvent).where(analytics_of(member)))
    ]
    data["consent_records"] = _consent_records()
    return data


@bp.get("/download")
def download() -> Response:
    response = current_app.response_class(
        json.dumps(collect_data(), ensure_ascii=False, indent=2), mimetype="application/json"
    )
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/requests")
@login_required
def new_request() -> Response:
    form = DataRequestForm()
    if form.validate_on_submit():
        db.session.add(DataRequest(user_id=current_user.id, kind=form.kind.data, details=form.details.data or ""))
        db.session.commit()
        flash(_("Request received. We aim to answer within %(target)d days and always within %(legal)d.",
                target=TARGET_DAYS, legal=LEGAL_DAYS))
    else:
        flash(_("Please choose the kind of request."))
    return redirect(url_for("privacy.centre", _anchor="requests"), 303)


def cancel_account(user: User, subject: str | None) -> None:
    """Delete a member's personal data and anonymise what the shop must keep.

    Deleted: the account, reviews, favourites, browsing history, analytics page views (of this browser and of
    the member on any device), data requests, customer-service cases, the security log of sign-ins,
    interests and anything queued for partners; a seller account loses its link. Kept without identity: order
    lines and totals (the shop's accounts), with consignee, address, phone and the link to the account
    cleared; and the consent records, which stay as proof of what was consented but lose the user id
    (``store.unlink_user``) - they keep only the random subject id of the device's consent cookie, which
    names no one. ``subject`` is that id as it was while the member was signed in (signing out gives the
    device a new one).
    """
    uid, login_id = user.id, user.get_id()
    for model in (Review, Favourite, PartnerShare, DataRequest, SupportCase, SignIn, Interest):
        db.session.execute(db.delete(model).where(model.user_id == uid))
    db.session.execute(db.delete(BrowsingEvent).where(browsing_of(subject, uid)))
    db.session.execute(db.delete(AnalyticsEvent).where(analytics_of(uid)))
    db.session.execute(db.update(Seller).where(Seller.user_id == uid).values(user_id=None))
    db.session.execute(
        db.update(Order).where(Order.user_id == uid).values(user_id=None, consignee="", address="", phone="")
    )
    db.session.delete(user)
    db.session.commit()
    _consent_ext().store.unlink_user(login_id)


@bp.post("/cancel")
@login_required
def cancel() -> tuple[str, int] | Response:
    form = CancelForm()
    user = cast(User, current_user._get_current_object())
    if form.validate_on_submit() and check_password_hash(user.password_hash, form.password.data or ""):
        subject = current_consent.subject_id  # before signing out, which gives the device a new one
        logout_user()
        cancel_account(user, subject)
        session.clear()
        flash(_("Your account and personal data have been deleted."))
        response = redirect(url_for("shop.index"), 303)
        response.delete_cookie(ANALYTICS_COOKIE)  # its id no longer leads to anything: start afresh
        return response
    form.password.errors = [*form.password.errors, _("Please confirm with your password and tick the box.")]
    return _centre(form), 400
