"""The figures' rollup agrees with the hazards it counts: after reports, triage, closure,
rejection and a level change made through the app, the figures from the rollup equal
the figures counted from the hazards themselves, for every filter the rollup serves; a
rebuild from scratch gives the same tallies."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from server.hazards import figures, tally
from server.hazards.adapter import HazardAdapter
from server.hazards.records import Filters
from server.hazards.service import today_local, where_of
from server.hazards.tables import HazardTally
from server.syncing.service import register
from tests.integration.hazards.people import (
    CITY_BUREAU,
    GRID_MEMBER,
    STATION,
    hazard_in,
    send,
    viewer,
)

pytestmark = pytest.mark.db


async def _tallies() -> dict[str, int]:
    rows = await HazardTally.select(HazardTally.key, HazardTally.n).where(HazardTally.n != 0)
    return {r["key"]: r["n"] for r in rows}


async def test_the_rollup_counts_what_the_hazards_say(demo) -> None:
    register(HazardAdapter())
    people = {
        "grid": await viewer(GRID_MEMBER),
        "station": await viewer(STATION),
        "bureau": await viewer(CITY_BUREAU),
    }
    statuses = ("reported", "accepted", "assigned", "rectified", "closed", "closed", "rejected")
    for status in statuses:
        await hazard_in(status, people)
    await hazard_in("assigned", people, level="major")
    await hazard_in("closed", people, category="fire.ebike")
    moved = await hazard_in("accepted", people)
    changed = await send(people["station"], "set_level", moved, {"level": "major"})
    assert changed.verdict == "applied"  # a level changed moves it to another tally

    bureau, today = people["bureau"], today_local()
    grid_path = (await HazardTally.select(HazardTally.area_path).first())["area_path"]
    for filters in (
        Filters(),
        Filters(area=grid_path),
        Filters(category="fire"),
        Filters(level="major"),
        Filters(since=today, until=today),
        Filters(since=today + timedelta(days=1)),
    ):
        assert figures._tallied(bureau, filters)
        rolled = await figures._from_tally(bureau, filters, today)
        counted = await figures._totals(where_of(bureau, filters, today), today)
        assert rolled == counted, filters
    assert (await figures.totals(bureau, Filters(), today)).reported == 10
    assert not figures._tallied(bureau, replace(Filters(), q="幸福路"))  # words: the hazards

    kept = await _tallies()
    assert sum(kept.values()) == 10
    assert await tally.rebuild() == 10
    assert await _tallies() == kept
