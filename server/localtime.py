"""The city's wall clock, in one place: which day it is, and a moment as Excel shows it.

Asia/Shanghai is TIMEZONE's default; pages show dates in TIMEZONE, and these helpers take a
zone where a caller has the settings at hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Shanghai")


#: the days a page may ask about: a query outside is no day (and no overflow further on)
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def parse_day(text: str | None) -> date | None:
    """A day from a query (2026-12-03, or an ISO week such as 2026-W49), None when it is not
    one, or lies outside FIRST_DAY..LAST_DAY."""
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def today(now: datetime | None = None, zone: ZoneInfo = ZONE) -> date:
    return (now or datetime.now(UTC)).astimezone(zone).date()


def start_of_day(now: datetime | None = None, zone: ZoneInfo = ZONE) -> datetime:
    """Midnight that began the city's day (numbers like JY20261124-0001 count from it)."""
    return datetime.combine(today(now, zone), time.min, zone)


def day_number(prefix: str, earlier_today: int, now: datetime | None = None) -> str:
    """A record's human number counting the city's day: JB20261124-0007."""
    return f"{prefix}{today(now):%Y%m%d}-{earlier_today + 1:04d}"


def wall(moment: datetime | None, zone: ZoneInfo = ZONE) -> datetime | None:
    """Excel has no time zones: the wall time in the city's zone, without tzinfo."""
    return moment.astimezone(zone).replace(tzinfo=None) if moment else None
