"""A consent dashboard for shop admins: a blueprint any app mounts behind its own guard.

Mounting it is one line::

    app.register_blueprint(make_dashboard(guard=admin_only), url_prefix="/admin/consent")

``guard`` is called before every dashboard request, like a ``before_request`` hook: return None to let the
request through, or a response (or raise, e.g. ``abort(403)``) to refuse it. It is required on purpose, so a
dashboard is never exposed by accident; pass ``guard=None`` only when the URL is already protected
elsewhere. ``requests_provider`` returns the shop's data-request queue: objects with ``kind``,
``created_at``, ``target_due``, ``legal_due``, ``status`` and ``overdue`` (optionally ``target_missed``), such
as ``example_shop.data_requests.open_requests``; overdue ones are listed first. The page is rendered entirely
on the server (the chart is inline SVG with a table alternative), so it needs no JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Protocol

from flask import Blueprint, abort, render_template, request

from . import stats as stats_module
from .banner import asset_dir
from .charts import rate_chart
from .components import components
from .purposes import localise
from .store import SQLStore

#: The windows (in days) the dashboard offers; the first is the default.
WINDOWS = (30, 7, 90, 365)


class DataRequest(Protocol):
    """A data-subject request (access, correction, deletion) as the dashboard shows it (read-only members, so
    frozen dataclasses and ORM rows both fit)."""

    @property
    def kind(self) -> str: ...
    @property
    def created_at(self) -> date | datetime: ...
    @property
    def target_due(self) -> date | datetime: ...
    @property
    def legal_due(self) -> date | datetime: ...
    @property
    def status(self) -> str: ...
    @property
    def overdue(self) -> bool: ...


Guard = Callable[[], Any]


def make_dashboard(
    *,
    guard: Guard | None,
    requests_provider: Callable[[], Iterable[DataRequest]] | None = None,
    name: str = "consent_dashboard",
) -> Blueprint:
    """A blueprint serving the consent dashboard at its root (``/`` under the ``url_prefix`` you choose)."""
    bp = Blueprint(name, __name__, template_folder=asset_dir("templates"))

    if guard is not None:
        @bp.before_request
        def _guard() -> Any:
            return guard()

    @bp.get("/")
    def index() -> str:
        return _render(requests_provider)

    return bp


def _window_days() -> int:
    value = request.args.get("days", type=int)
    return value if value in WINDOWS else WINDOWS[0]


def _day_range(since: datetime, until: datetime) -> list[str]:
    count = (until - since).days
    return [(since + timedelta(days=i)).strftime("%Y-%m-%d") for i in range(count)]


def _sorted_requests(items: Iterable[DataRequest]) -> list[DataRequest]:
    """Overdue first, then those past the shop's own target (an optional ``target_missed``), then by legal due."""

    def key(r: DataRequest) -> tuple[bool, bool, str]:
        due = r.legal_due.isoformat() if r.legal_due else "9999"
        return (not r.overdue, not getattr(r, "target_missed", False), due)

    return sorted(items, key=key)


def _render(requests_provider: Callable[[], Iterable[DataRequest]] | None) -> str:
    ext = components()
    store = ext.store
    if not isinstance(store, SQLStore):
        abort(501, "The consent dashboard needs the SQL consent log.")
    days = _window_days()
    today = datetime.combine(datetime.now(timezone.utc).date(), time(), tzinfo=timezone.utc)
    until = today + timedelta(days=1)
    since = until - timedelta(days=days)
    purposes = ext.registry.optional
    result = stats_module.collect(store, [p.key for p in purposes], since, until)
    by_day = {d.day: d for d in result.days}
    day_list = _day_range(since, until)
    titles = {p.key: localise(p.title, "en") for p in purposes}
    chart = rate_chart(
        day_list,
        [(titles[p.key], [by_day[d].rate(p.key) if d in by_day else None for d in day_list]) for p in purposes],
    )
    data_requests = _sorted_requests(requests_provider()) if requests_provider is not None else None
    return render_template(
        "consent/dashboard.html",
        stats=result,
        titles=titles,
        chart=chart,
        days=days,
        windows=WINDOWS,
        since=since,
        until=until - timedelta(days=1),
        active_days=[by_day[d] for d in day_list if d in by_day],
        data_requests=data_requests,
        overdue=sum(1 for r in data_requests or () if r.overdue),
    )

