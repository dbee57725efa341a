"""Customer service (``/support``): a member contacts the shop about an order, opens a dispute or a return
and follows its status; each case is answered against the shop's 15-day target, on the same clock as data
requests (``deadlines.py``). The cases are the member's personal data: in their download, deleted when they
cancel their account (``privacy.cancel_account``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from .admin import admin_required
from .deadlines import TARGET_DAYS, deadlines_for, today_hk
from .extensions import db
from .forms import SUPPORT_KINDS, SUPPORT_STATUSES, SupportForm, SupportReplyForm
from .models import Order, SupportCase, utcnow

bp = Blueprint("support", __name__, url_prefix="/support")


@bp.context_processor
def _names() -> dict[str, object]:
    return {"support_kinds": SUPPORT_KINDS, "support_statuses": SUPPORT_STATUSES}


@dataclass(frozen=True)
class CaseView:
    """A case with its target date: ``late`` once the 15-day target passed without an answer."""

    case: SupportCase
    target_due: date
    late: bool


def view_of(case: SupportCase, today: date) -> CaseView:
    due = deadlines_for(case.created_at).target_due
    return CaseView(case, due, case.status == "open" and today > due)


def cases_of(user_id: int, now: datetime | None = None) -> list[CaseView]:
    """A member's cases, newest first."""
    today = today_hk(now)
    rows = db.session.scalars(db.select(SupportCase).where(SupportCase.user_id == user_id)
                              .order_by(SupportCase.created_at.desc(), SupportCase.id.desc()))
    return [view_of(c, today) for c in rows]


def _form() -> SupportForm:
    form = SupportForm()
    orders = db.session.scalars(db.select(Order).where(Order.user_id == current_user.id)
                                .order_by(Order.created_at.desc())).all()
    form.order.choices = [SelectChoice("", _("No particular order"))] + [
        SelectChoice(str(o.id), _("Order %(id)d of %(day)s, %(total)s", id=o.id,
                                  day=o.created_at.date().isoformat(), total=o.total)) for o in orders]
    return form


@bp.route("", methods=["GET", "POST"])
@login_required
def support() -> str | Response | tuple[str, int]:
    form = _form()
    if form.validate_on_submit():
        order_id = int(form.order.data) if form.order.data else None
        if form.kind.data in ("dispute", "return") and order_id is None:
            form.order.errors = [*form.order.errors, _("Choose the order this is about.")]
            return render_template("support.html", form=form, cases=cases_of(current_user.id),
                                   target_days=TARGET_DAYS), 400
        db.session.add(SupportCase(user_id=current_user.id, order_id=order_id, kind=form.kind.data,
                                   message=form.message.data or ""))
        db.session.commit()
        flash(_("Thank you. We answer within %(days)d days.", days=TARGET_DAYS))
        return redirect(url_for("support.support"), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("support.html", form=form, cases=cases_of(current_user.id),
                           target_days=TARGET_DAYS), status


@bp.get("/queue")
@admin_required
def queue() -> str:
    """The open cases, oldest target first, for the shop's customer service."""
    today = today_hk()
    rows = db.session.scalars(db.select(SupportCase).where(SupportCase.status == "open")
                              .order_by(SupportCase.created_at, SupportCase.id))
    return render_template("support_queue.html", cases=[view_of(c, today) for c in rows], form=SupportReplyForm())


@bp.post("/<int:case_id>/answer")
@admin_required
def answer(case_id: int) -> Response:
    case = db.session.get(SupportCase, case_id)
    form = SupportReplyForm()
    if case is None or not form.validate_on_submit():
        abort(400)
    case.reply, case.status, case.answered_at = form.reply.data or "", "answered", utcnow()
    db.session.commit()
    return redirect(url_for("support.queue"), 303)
