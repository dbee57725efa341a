"""A small, hand-checkable consent log shared by the CLI, stats and dashboard tests."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone

from flask import Flask

from flask_consent.store import ConsentRecord

ALL = {"recommendations": 1, "location": 1, "analytics": 1, "advertising": 1, "third_party_sharing": 1}


@dataclass
class Req:
    """A data request as the shop's queue provides it to the dashboard."""

    kind: str
    created_at: date
    target_due: date
    legal_due: date
    status: str
    overdue: bool


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


def synthetic(days: int = 30, per_day: int = 40, seed_value: int = 8) -> list[ConsentRecord]:
    """A month of plausible decisions ending today, for the dashboard screenshot and browser test."""
    import random

    rng = random.Random(seed_value)
    likelihood = {"recommendations": 0.62, "location": 0.35, "analytics": 0.48, "advertising": 0.22,
                  "third_party_sharing": 0.12}
    start = datetime.combine(datetime.now(timezone.utc).date() - timedelta(days=days - 1), datetime.min.time(),
                             tzinfo=timezone.utc)
    out = []
    for d in range(days):
        for n in range(per_day + rng.randint(-10, 10)):
            when = start + timedelta(days=d, seconds=rng.randint(0, 86399 if d < days - 1 else 60))
            gpc = rng.random() < 0.08
            drift = 0.1 * d / days
            granted = {k: 1 for k, p in likelihood.items() if rng.random() < p + drift and not (gpc and p < 0.3)}
            denied = {k: 1 for k in likelihood if k not in granted}
            method = "gpc" if gpc else ("banner_reject_all" if not granted else
                                        "banner_accept_all" if not denied else "banner_custom")
            policy = "1" if d < days // 2 else "2"
            out.append(record(f"x{d:03d}{n:03d}", f"v{rng.randint(0, 10 * per_day * days)}", when, granted, denied,
                              method, gpc=gpc, policy=policy, banner=("a" if policy == "1" else "b") * 64))
    return out
