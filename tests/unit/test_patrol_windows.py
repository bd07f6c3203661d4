"""A plan's last window, in Asia/Shanghai time (a table)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.patrols.windows import ZONE, last_window


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


@pytest.mark.parametrize(
    ("schedule", "now", "start", "end"),
    [
        ("daily", "2026-07-15 09:30", "2026-07-14 00:00", "2026-07-15 00:00"),
        ("daily", "2026-07-15 00:00", "2026-07-14 00:00", "2026-07-15 00:00"),
        ("twice_daily", "2026-07-15 09:30", "2026-07-14 12:00", "2026-07-15 00:00"),
        ("twice_daily", "2026-07-15 13:00", "2026-07-15 00:00", "2026-07-15 12:00"),
        # 2026-07-15 is a Wednesday: last week ran Monday 6 to Monday 13
        ("weekly", "2026-07-15 09:30", "2026-07-06 00:00", "2026-07-13 00:00"),
    ],
)
def test_windows(schedule: str, now: str, start: str, end: str) -> None:
    # given in UTC, judged in local time: 01:30 UTC is 09:30 in Shanghai
    window = last_window(schedule, local(now).astimezone(UTC))
    assert window == (local(start), local(end))


def test_on_demand_plans_have_no_window() -> None:
    assert last_window("on_warning", datetime.now(UTC)) is None
