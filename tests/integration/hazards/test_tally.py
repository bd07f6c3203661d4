"""The figures' rollup agrees with the hazards it counts: hazards reported on different days
(as phones queue them), triaged, closed after different spans, rejected and raised to major
through the app; the city's figures from the rollup (counts, overdue, the exact median)
equal the figures counted from the hazards themselves for every period, odd and even
numbers of closed ones; a rebuild from scratch gives the same tallies."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from server.directory import service as directory
from server.hazards import figures, tally
from server.hazards.adapter import HazardAdapter
from server.hazards.records import Filters
from server.hazards.service import today_local
from server.hazards.tables import HazardTally
from server.syncing import service as syncing
from tests.integration.hazards.people import (
    CITY_BUREAU,
    GRID_MEMBER,
    PATH,
    STATION,
    envelope,
    report_fields,
    send,
    viewer,
)

pytestmark = pytest.mark.db
DAY_MS = 86_400_000


async def _tallies() -> dict[str, int]:
    rows = await HazardTally.select(HazardTally.key, HazardTally.n).where(HazardTally.n != 0)
    return {r["key"]: r["n"] for r in rows}


async def _reported(people: dict, status: str, days_ago: float, **extra: str) -> uuid.UUID:
    """A hazard a phone queued `days_ago` (its report time is the phone's), then brought
    to `status` now."""
    record_id, phone_ms = uuid.uuid4(), syncing.now_ms() - int(days_ago * DAY_MS)
    fields = report_fields(people["grid"], **extra)
    made = await syncing.submit(
        envelope("report", record_id, fields, phone_ms=phone_ms), people["grid"]
    )
    assert made.verdict == "applied", made.reason
    for who, op, op_fields in PATH[status]:
        result = await send(people[who], op, record_id, op_fields)
        assert result.verdict in ("applied", "merged"), (op, result.reason)
    return record_id


async def test_the_rollup_counts_what_the_hazards_say(demo, monkeypatch) -> None:
    syncing.register(HazardAdapter())
    people = {
        "grid": await viewer(GRID_MEMBER),
        "station": await viewer(STATION),
        "bureau": await viewer(CITY_BUREAU),
    }
    # closed after 0.2 to 20.5 days: spans in different whole days, two in the same day
    for days_ago in (0.2, 1.5, 3.25, 3.75, 7.1, 12.9, 20.5):
        await _reported(people, "closed", days_ago)
    for status, days_ago in (("reported", 2), ("accepted", 5), ("assigned", 9), ("rejected", 1)):
        await _reported(people, status, days_ago)
    await _reported(people, "assigned", 4, level="major")
    raised = await _reported(people, "accepted", 6)
    changed = await send(people["station"], "set_level", raised, {"level": "major"})
    assert changed.verdict == "applied"  # a level changed moves it to another tally
    assert sum((await _tallies()).values()) == 13

    bureau, today = people["bureau"], today_local()
    [city] = await directory.home_areas(bureau.scope)
    children = await directory.children(bureau.scope, city)
    later = today + timedelta(days=4000)  # the assigned ones' deadlines (2030) have passed
    periods = [
        Filters(),
        Filters(since=today - timedelta(days=30), until=today),
        Filters(since=today - timedelta(days=8)),  # five closed: an odd middle
        Filters(since=today - timedelta(days=13)),  # six closed: the mean of two
        Filters(until=today - timedelta(days=4)),
        Filters(since=today, until=today),
        Filters(since=today + timedelta(days=1)),  # nothing
    ]
    for period in periods:
        assert figures._tallied(bureau, city, children, period)
        for day in (today, later):
            rolled = await figures.by_area(bureau, city, period, day)
            with monkeypatch.context() as direct:
                direct.setattr(figures, "_tallied", lambda *_args: False)
                counted = await figures.by_area(bureau, city, period, day)
            assert rolled == counted, (period, day)
    whole, _rows = await figures.by_area(bureau, city, Filters(), later)
    assert (whole.reported, whole.closed, whole.overdue, whole.major_open) == (13, 7, 2, 2)
    assert whole.median_days == 3.8  # the fourth of seven spans: 3.75 days

    # a town's rows are villages: the town's own hazards answer, not the rollup
    town = next(a for a in await directory.home_areas(people["station"].scope))
    villages = await directory.children(people["station"].scope, town)
    assert not figures._tallied(people["station"], town, villages, Filters())
    # words, categories and levels are not in the rollup either
    assert not figures._tallied(bureau, city, children, Filters(level="major"))

    kept = await _tallies()
    assert await tally.rebuild() == 13
    assert await _tallies() == kept
