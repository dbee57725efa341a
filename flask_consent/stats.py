"""Aggregates of the consent log for ``flask consent stats`` and the dashboard.

Every figure is computed by the database with ``GROUP BY`` (one row per day, method or banner version), so
memory stays bounded however many records the log holds. Rates count decisions: of the records written in
a window that decided a purpose, the share that granted it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .store import MYSQL_DIALECTS, SQLStore, _utc, records


@dataclass(frozen=True)
class PurposeRate:
    """How often one purpose was granted and refused."""

    key: str
    granted: int
    denied: int

    @property
    def rate(self) -> float | None:
        """The opt-in rate (granted / decided), or None when nobody decided on it."""
        decided = self.granted + self.denied
        return self.granted / decided if decided else None


@dataclass(frozen=True)
class DayStats:
    """The records of one UTC day."""

    day: str
    records: int
    refusals: int
    gpc: int
    purposes: tuple[PurposeRate, ...]

    def rate(self, key: str) -> float | None:
        return next((p.rate for p in self.purposes if p.key == key), None)


@dataclass(frozen=True)
class BannerVersion:
    """A policy version and banner text (by hash) that visitors decided on."""

    policy_version: str
    banner_hash: str
    records: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class Stats:
    """Everything ``stats`` reports for a window ``[since, until)``."""

    since: datetime | None
    until: datetime | None
    records: int
    subjects: int
    refusals: int
    gpc: int
    purposes: tuple[PurposeRate, ...]
    methods: dict[str, int]
    days: tuple[DayStats, ...]
    banners: tuple[BannerVersion, ...] = field(default=())

    @property
    def refusal_rate(self) -> float | None:
        """Share of decisions that granted no optional purpose at all."""
        return self.refusals / self.records if self.records else None

    @property
    def gpc_share(self) -> float | None:
        """Share of decisions taken with a Global Privacy Control signal present."""
        return self.gpc / self.records if self.records else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (times in ISO 8601 UTC, rates as fractions or null)."""

        def iso(value: datetime | None) -> str | None:
            return _utc(value).isoformat().replace("+00:00", "Z") if value else None

        def rates(items: Sequence[PurposeRate]) -> dict[str, dict[str, Any]]:
            return {p.key: {"granted": p.granted, "denied": p.denied, "opt_in_rate": p.rate} for p in items}

        return {
            "since": iso(self.since),
            "until": iso(self.until),
            "records": self.records,
            "subjects": self.subjects,
            "refusal_rate": self.refusal_rate,
            "gpc_share": self.gpc_share,
            "purposes": rates(self.purposes),
            "methods": dict(self.methods),
            "days": [
                {"day": d.day, "records": d.records, "refusals": d.refusals, "gpc": d.gpc,
                 "purposes": rates(d.purposes)}
                for d in self.days
            ],
            "banner_versions": [
                {"policy_version": b.policy_version, "banner_hash": b.banner_hash, "records": b.records,
                 "first_seen": iso(b.first_seen), "last_seen": iso(b.last_seen)}
                for b in self.banners
            ],
        }


def _mentions(column: Any, key: str) -> Any:
    # granted/denied are JSON objects written with sorted keys and no spaces, so a key appears as "key":
    return column.contains(f'"{key}":', autoescape=True)


def _flag(condition: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _day(store: SQLStore) -> Any:
    if store.engine.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", records.c.created_at), "YYYY-MM-DD")
    if store.engine.dialect.name in MYSQL_DIALECTS:
        return sa.func.date(records.c.created_at)  # DATETIME holds the UTC time; read back as a date
    # SQLite keeps the UTC time as text "YYYY-MM-DD HH:MM:SS..."
    return sa.func.substr(records.c.created_at, 1, 10)


def _window(query: Any, since: datetime | None, until: datetime | None) -> Any:
    if since is not None:
        query = query.where(records.c.created_at >= _utc(since))
    if until is not None:
        query = query.where(records.c.created_at < _utc(until))
    return query


def collect(
    store: SQLStore, purpose_keys: Sequence[str], since: datetime | None = None, until: datetime | None = None
) -> Stats:
    """Aggregate the records created in ``[since, until)`` for the optional purposes ``purpose_keys``."""
    keys = list(purpose_keys)
    day = _day(store).label("day")
    granted_any = sa.or_(*[_mentions(records.c.granted, k) for k in keys]) if keys else sa.false()
    columns = [
        day,
        sa.func.count().label("n"),
        _flag(sa.not_(granted_any)).label("refusals"),
        _flag(records.c.gpc.is_(True)).label("gpc"),
    ]
    for i, key in enumerate(keys):
        columns.append(_flag(_mentions(records.c.granted, key)).label(f"g{i}"))
        columns.append(_flag(_mentions(records.c.denied, key)).label(f"d{i}"))
    per_day = _window(sa.select(*columns), since, until).group_by(day).order_by(day)
    methods_q = _window(sa.select(records.c.method, sa.func.count()), since, until).group_by(records.c.method)
    subjects_q = _window(sa.select(sa.func.count(sa.distinct(records.c.subject_id))), since, until)
    banners_q = (
        _window(
            sa.select(
                records.c.policy_version, records.c.banner_hash, sa.func.count(),
                sa.func.min(records.c.created_at), sa.func.max(records.c.created_at),
            ),
            since, until,
        )
        .group_by(records.c.policy_version, records.c.banner_hash)
        .order_by(sa.func.max(records.c.created_at).desc())
    )
    with store.engine.connect() as conn:
        days = tuple(
            DayStats(
                day=str(row["day"]), records=int(row["n"]), refusals=int(row["refusals"]), gpc=int(row["gpc"]),
                purposes=tuple(PurposeRate(k, int(row[f"g{i}"]), int(row[f"d{i}"])) for i, k in enumerate(keys)),
            )
            for row in conn.execute(per_day).mappings()
        )
        methods = {str(m): int(n) for m, n in conn.execute(methods_q)}
        subjects = int(conn.execute(subjects_q).scalar_one())
        banners = tuple(
            BannerVersion(str(p), str(h), int(n), _utc(first), _utc(last))
            for p, h, n, first, last in conn.execute(banners_q)
        )
    totals = tuple(
        PurposeRate(k, sum(d.purposes[i].granted for d in days), sum(d.purposes[i].denied for d in days))
        for i, k in enumerate(keys)
    )
    return Stats(
        since=since, until=until, records=sum(d.records for d in days), subjects=subjects,
        refusals=sum(d.refusals for d in days), gpc=sum(d.gpc for d in days), purposes=totals,
        methods=dict(sorted(methods.items(), key=lambda item: -item[1])), days=days, banners=banners,
    )


def count(
    store: SQLStore, since: datetime | None = None, until: datetime | None = None, subject_id: str | None = None
) -> int:
    """How many records were created in ``[since, until)`` (of one subject, when given)."""
    query = _window(sa.select(sa.func.count()).select_from(records), since, until)
    if subject_id is not None:
        query = query.where(records.c.subject_id == subject_id)
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())
