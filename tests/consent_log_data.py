"""A small, hand-checkable consent log shared by the CLI, stats and dashboard tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from flask import Flask

from flask_consent.store import ConsentRecord

ALL = {"recommendations": 1, "location": 1, "analytics": 1, "advertising": 1, "third_party_sharing": 1}


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=timezone.utc)


def record(rid: str, subject: str, when: datetime, granted: dict[str, int], denied: dict[str, int], method: str,
           gpc: bool = False, policy: str = "1", banner: str = "a" * 64) -> ConsentRecord:
    return ConsentRecord(
        id=rid, subject_id=subject, consent_id=subject, policy_version=policy, banner_hash=banner,
        granted={"necessary": 1, **granted}, denied=denied, method=method, created_at=when, gpc=gpc,
    )


#: s1 accepts all, s2 rejects all, s3 arrives with GPC and grants recommendations, s1 withdraws analytics
#: under a new policy version. Over all four: 4 records, 3 visitors, 1 refusal, 1 GPC; recommendations
#: 3 granted / 1 denied, location 2/1, analytics 1/2, advertising 2/2, third_party_sharing 2/2.
RECORDS = [
    record("r1", "s1", at(1, 10), ALL, {}, "banner_accept_all"),
    record("r2", "s2", at(1, 11), {}, ALL, "banner_reject_all"),
    record("r3", "s3", at(2, 9), {"recommendations": 1}, {"advertising": 1, "third_party_sharing": 1}, "gpc",
           gpc=True),
    record("r4", "s1", at(3, 12), {k: 1 for k in ALL if k != "analytics"}, {"analytics": 1}, "preferences",
           policy="2", banner="b" * 64),
]


def seed(app: Flask, recent: bool = False) -> None:
    """Append :data:`RECORDS`; with ``recent`` moved in time so the last one is from yesterday (UTC)."""
    shift = timedelta(0)
    if recent:
        shift = timedelta(days=(datetime.now(timezone.utc).date() - date(2026, 11, 4)).days)
    store = app.extensions["consent"].store
    for r in RECORDS:
        store.append(replace(r, created_at=r.created_at + shift))
