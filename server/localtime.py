"""The city's wall clock, in one place: which day it is, and a moment as Excel shows it.

Asia/Shanghai is TIMEZONE's default; pages show dates in TIMEZONE, and these helpers take a
zone where a caller has the settings at hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Shanghai")


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
