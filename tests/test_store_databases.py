"""Issue 17, item 11: the consent log keeps the same guarantees on SQLite, PostgreSQL and MySQL/MariaDB.

Each test runs on every database of the ``db_url`` fixture: idempotent replay that counts exactly and never
swallows a record the database refuses, microsecond order of quick decisions (history, latest, keyset
pagination), UTC times, exact (case-sensitive) ids, purge in batches and per-day stats.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from flask_consent import stats
from flask_consent.store import ConsentRecord, SQLStore

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def _record(n: int, **values: Any) -> ConsentRecord:
    base: dict[str, Any] = dict(
        id=f"rec-{n:06d}", subject_id="subject-0001", consent_id="consent-0001", policy_version="1",
        banner_hash="b" * 64, granted={"necessary": 1, "analytics": 1}, denied={"advertising": 2},
        method="banner_custom", created_at=T0 + timedelta(microseconds=n),
    )
    base.update(values)
    return ConsentRecord(**base)


@pytest.fixture
def store(db_url: str) -> Any:
    store = SQLStore(db_url)
    store.init_db()
    yield store
    store.engine.dispose()


def _ids(store: SQLStore) -> list[str]:
    return [r.id for r in store.iter_records()]


def test_idempotent_replay_counts_exactly_what_was_new(store: SQLStore) -> None:
    assert store.append_idempotent([]) == 0
    assert store.append_idempotent([_record(1), _record(2)]) == 2
    assert store.append_idempotent([_record(1), _record(2)]) == 0, "a replay twice stores nothing again"
    assert store.append_idempotent([_record(2), _record(3), _record(3)]) == 1, "one new, even listed twice"
    assert _ids(store) == ["rec-000001", "rec-000002", "rec-000003"]


def test_two_replays_of_the_same_batch_at_once_store_each_record_once(store: SQLStore) -> None:
    batch = [_record(n) for n in range(40)]
    store.append_idempotent(batch[:5])  # some already in the log, as after a crash mid-replay
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def replay() -> None:
        try:
            barrier.wait(10)
            counts.append(store.append_idempotent(batch))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=replay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(counts) == 35, counts
    assert _ids(store) == [r.id for r in batch]


@pytest.mark.parametrize("bad", [
    {"method": "m" * 200},  # longer than its column: DataError, never silently truncated
    {"locale": None},  # NOT NULL column: IntegrityError, never stored as an empty string
])
def test_a_record_the_database_refuses_raises_and_takes_nothing_with_it(store: SQLStore, bad: dict[str, Any]) -> None:
    """The spool dead-letters a record only when the store raises DataError or IntegrityError for it; a
    store that swallowed the error (``INSERT IGNORE``) would lose the evidence silently."""
    if "method" in bad and store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite does not enforce the length of a VARCHAR")
    with pytest.raises((sa.exc.DataError, sa.exc.IntegrityError)):
        store.append_idempotent([_record(1), _record(2, **bad), _record(3)])
    assert _ids(store) == [], "the batch is one transaction"
    assert store.append_idempotent([_record(1), _record(3)]) == 2


def test_microseconds_keep_the_order_of_quick_decisions(store: SQLStore) -> None:
    for n in (3, 1, 2):  # written out of order, one microsecond apart
        store.append(_record(n, user_id="member-1"))
    assert [r.id for r in store.history("subject-0001")] == ["rec-000003", "rec-000002", "rec-000001"]
    latest = store.latest_for_user("member-1")
    assert latest is not None and latest.id == "rec-000003"
    assert latest.created_at == T0 + timedelta(microseconds=3)


def test_times_come_back_as_the_same_instant_in_utc(store: SQLStore) -> None:
    local = datetime(2026, 3, 2, 1, 30, 0, 250_000, tzinfo=timezone(timedelta(hours=2)))
    store.append(_record(1, created_at=local))
    got = store.get("rec-000001")
    assert got is not None
    assert got.created_at == local and got.created_at.tzinfo == timezone.utc
    assert got.to_dict()["created_at"] == "2026-03-01T23:30:00.250000Z"
    assert [r.id for r in store.iter_records(since=local, until=local + timedelta(microseconds=1))] == ["rec-000001"]


def test_ids_and_text_are_kept_exactly(store: SQLStore) -> None:
    store.append(_record(1, id="AbCdEf", user_id="Zoë 🛒", locale="zh-Hant-HK"))
    assert store.get("abcdef") is None, "ids are case-sensitive (a case-insensitive collation would match)"
    got = store.get("AbCdEf")
    assert got is not None and got.user_id == "Zoë 🛒" and got.locale == "zh-Hant-HK"
    assert got.granted == {"analytics": 1, "necessary": 1} and got.gpc is False
    store.append(_record(2, id="abcdef"))
    assert store.count() == 2


def test_keyset_pagination_walks_ties_without_gaps_or_repeats(store: SQLStore) -> None:
    same = T0 + timedelta(seconds=5)
    batch = [_record(n, created_at=same if n % 3 else T0 + timedelta(microseconds=n)) for n in range(23)]
    store.append_idempotent(batch)
    expected = [r.id for r in sorted(batch, key=lambda r: (r.created_at, r.id))]
    for size in (1, 2, 5, 100):
        assert [r.id for r in store.iter_records(batch=size)] == expected, size
    window = [r.id for r in store.iter_records(since=T0 + timedelta(microseconds=3), until=same, batch=2)]
    assert window == [r.id for r in batch if r.created_at < same and r.created_at >= T0 + timedelta(microseconds=3)]


def test_purge_deletes_only_older_records_in_batches(store: SQLStore) -> None:
    store.append_idempotent([_record(n, created_at=T0 + timedelta(days=n)) for n in range(7)])
    batches: list[int] = []
    cutoff = T0 + timedelta(days=4)
    assert store.purge(cutoff, batch_size=3, progress=batches.append) == 4
    assert batches == [3, 1]
    assert _ids(store) == ["rec-000004", "rec-000005", "rec-000006"]
    assert store.purge(cutoff, batch_size=3) == 0


def test_stats_group_by_utc_day_and_read_times_back_in_utc(store: SQLStore) -> None:
    late = datetime(2026, 3, 1, 23, 59, 59, 999_999, tzinfo=timezone.utc)
    store.append_idempotent([
        _record(1, created_at=late, subject_id="s1"),
        _record(2, created_at=datetime(2026, 3, 2, 1, 0, tzinfo=timezone(timedelta(hours=2))), subject_id="s2",
                granted={"necessary": 1}, denied={"analytics": 1, "advertising": 2}, gpc=True,
                method="banner_reject_all"),
        _record(3, created_at=late + timedelta(microseconds=1), subject_id="s1"),
    ])
    result = stats.collect(store, ["analytics", "advertising"])
    assert [(d.day, d.records) for d in result.days] == [("2026-03-01", 2), ("2026-03-02", 1)]
    assert result.records == 3 and result.subjects == 2 and result.refusals == 1 and result.gpc == 1
    assert {p.key: (p.granted, p.denied) for p in result.purposes} == {"analytics": (2, 1), "advertising": (0, 3)}
    assert result.methods == {"banner_custom": 2, "banner_reject_all": 1}
    (banner,) = result.banners
    assert banner.first_seen == datetime(2026, 3, 1, 23, 0, tzinfo=timezone.utc)
    assert banner.last_seen == late + timedelta(microseconds=1)
    assert stats.count(store, since=late + timedelta(microseconds=1)) == 1
