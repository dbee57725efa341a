"""Deadlines of data requests: the shop's 15-day promise and the PDPO's 40-day limit (C27).

Pure functions on dates, no database. Days are calendar days counted in Hong Kong time (UTC+8, no
daylight saving) from the day after the request arrived, so a request received late on 31 January is due on
15 February and, under section 19 of the PDPO, must be complied with by 12 March (11 March in a leap year).
A request is overdue from the day after its due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

#: What the shop promises in its privacy policy.
TARGET_DAYS = 15
#: PDPO s.19(1): comply with a data access request not later than 40 days after receiving it.
LEGAL_DAYS = 40
HONG_KONG = timezone(timedelta(hours=8), "HKT")
KINDS: tuple[str, ...] = ("access", "correction", "deletion")
STATUSES: tuple[str, ...] = ("open", "completed")


def local_day(moment: datetime) -> date:
    """The Hong Kong calendar day of ``moment`` (a naive datetime is taken as UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(HONG_KONG).date()


@dataclass(frozen=True)
class Deadlines:
    """The two due dates of a request received at ``received``."""

    received: date
    target_due: date
    legal_due: date

    def state(self, today: date) -> str:
        """``on_time``, ``target_missed`` (past 15 days) or ``overdue`` (past the 40-day legal limit)."""
        if today > self.legal_due:
            return "overdue"
        if today > self.target_due:
            return "target_missed"
        return "on_time"

    def days_left(self, today: date) -> int:
        """Days until the legal limit (negative once it has passed)."""
        return (self.legal_due - today).days


def deadlines_for(received_at: datetime) -> Deadlines:
    day = local_day(received_at)
    return Deadlines(day, day + timedelta(days=TARGET_DAYS), day + timedelta(days=LEGAL_DAYS))


def today_hk(now: datetime | None = None) -> date:
    return local_day(now or datetime.now(timezone.utc))
