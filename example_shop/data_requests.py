"""The queue of data requests, as plain values for the privacy centre, the admin view and dashboards.

``open_requests()`` is what another app (the consent dashboard) reads to show the shop's queue; it needs an
app context of the shop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .deadlines import deadlines_for, today_hk
from .extensions import db
from .models import DataRequest


@dataclass(frozen=True)
class QueuedRequest:
    """One data request with its deadlines. ``overdue`` means past the 40-day legal limit;
    ``target_missed`` past the shop's 15-day promise."""

    id: int
    kind: str
    status: str
    details: str
    requester: str
    created_at: datetime
    #: The Hong Kong day it arrived, from which both deadlines count.
    received: date
    target_due: date
    legal_due: date
    overdue: bool
    target_missed: bool
    days_left: int


def queued(request_row: DataRequest, today: date) -> QueuedRequest:
    d = deadlines_for(request_row.created_at)
    state = d.state(today)
    return QueuedRequest(
        id=request_row.id,
        kind=request_row.kind,
        status=request_row.status,
        details=request_row.details,
        requester=request_row.user.email if request_row.user else "(account cancelled)",
        created_at=request_row.created_at,
        received=d.received,
        target_due=d.target_due,
        legal_due=d.legal_due,
        overdue=state == "overdue",
        target_missed=state != "on_time",
        days_left=d.days_left(today),
    )


def open_requests(now: datetime | None = None) -> list[QueuedRequest]:
    """Every open request, overdue ones first, then by legal due date (oldest first)."""
    today = today_hk(now)
    rows = db.session.scalars(db.select(DataRequest).where(DataRequest.status == "open")).all()
    items = [queued(r, today) for r in rows]
    return sorted(items, key=lambda q: (not q.overdue, not q.target_missed, q.legal_due, q.id))


def requests_of(user_id: int, now: datetime | None = None) -> list[QueuedRequest]:
    """A member's requests, newest first."""
    today = today_hk(now)
    rows = db.session.scalars(
        db.select(DataRequest).where(DataRequest.user_id == user_id).order_by(DataRequest.created_at.desc())
    ).all()
    return [queued(r, today) for r in rows]
