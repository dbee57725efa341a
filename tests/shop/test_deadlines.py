"""Data-request deadlines: 15-day target and the PDPO's 40-day limit, across month and year ends (C27)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from example_shop.deadlines import deadlines_for, local_day

HKT = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("received", "target", "legal"),
    [
        (datetime(2026, 1, 31, 10, tzinfo=HKT), date(2026, 2, 15), date(2026, 3, 12)),  # through 28-day February
        (datetime(2028, 1, 31, 10, tzinfo=HKT), date(2028, 2, 15), date(2028, 3, 11)),  # leap year
        (datetime(2026, 2, 20, 9, tzinfo=HKT), date(2026, 3, 7), date(2026, 4, 1)),
        (datetime(2026, 4, 30, 9, tzinfo=HKT), date(2026, 5, 15), date(2026, 6, 9)),  # 30-day month end
        (datetime(2026, 12, 20, 9, tzinfo=HKT), date(2027, 1, 4), date(2027, 1, 29)),  # year end
        (datetime(2026, 8, 31, 23, 59, tzinfo=HKT), date(2026, 9, 15), date(2026, 10, 10)),
    ],
)
def test_due_dates_across_month_ends(received, target, legal):  # C27
    d = deadlines_for(received)
    assert (d.target_due, d.legal_due) == (target, legal)


def test_day_counts_in_hong_kong_time():  # C27
    late_utc = datetime(2026, 1, 31, 17, 30, tzinfo=timezone.utc)  # already 1 February in Hong Kong
    assert local_day(late_utc) == date(2026, 2, 1)
    assert deadlines_for(late_utc).legal_due == date(2026, 3, 13)
    naive_utc = datetime(2026, 1, 31, 15, 59)  # SQLite returns naive UTC times
    assert local_day(naive_utc) == date(2026, 1, 31)


def test_states_change_the_day_after_each_due_date():  # C27
    d = deadlines_for(datetime(2026, 1, 31, 10, tzinfo=HKT))
    assert d.state(date(2026, 2, 15)) == "on_time"
    assert d.state(date(2026, 2, 16)) == "target_missed"
    assert d.state(date(2026, 3, 12)) == "target_missed" and d.days_left(date(2026, 3, 12)) == 0
    assert d.state(date(2026, 3, 13)) == "overdue" and d.days_left(date(2026, 3, 13)) == -1
