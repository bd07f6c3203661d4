"""Chasing deadlines with a controlled clock: reminders 3 and 1 days before, the overdue flag
and the station told, each once however often the job runs, and again for a new deadline."""

from __future__ import annotations

from datetime import date

import pytest

from server.hazards import deadlines
from server.hazards.adapter import HazardAdapter
from server.hazards.deadlines import chase
from server.hazards.service import get, timeline
from server.hazards.tables import HazardNotice
from server.notify.tables import Message
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

DEADLINE = date(2030, 1, 10)


@pytest.fixture
async def people(demo) -> dict:
    register(HazardAdapter())
    return {
        "grid": await viewer(GRID_MEMBER),
        "station": await viewer(STATION),
        "bureau": await viewer(CITY_BUREAU),
    }


#: the notices about the deadline (the reporter's news, such as "accepted", are other tests')
DEADLINE_KINDS = ("assign", "send_back", "remind", "overdue")


async def notices(person_id) -> list[str]:
    rows = await HazardNotice.select(HazardNotice.kind).where(
        (HazardNotice.person_id == person_id) & HazardNotice.kind.is_in(list(DEADLINE_KINDS))
    )
    return sorted(r["kind"] for r in rows)


async def test_reminders_then_overdue_each_once(people) -> None:
    record_id = await hazard_in("accepted", people)
    grid, station = people["grid"], people["station"]
    assigned = await send(
        station,
        "assign",
        record_id,
        {
            "assignee_unit": "物业",
            "assignee_id": str(grid.person_id),
            "measures": "拆除",
            "deadline": DEADLINE.isoformat(),
        },
    )
    assert assigned.verdict == "applied"
    assert await notices(grid.person_id) == ["assign"]

    days = (3, 1)
    assert (await chase(date(2030, 1, 6), days)).reminded == 0  # 4 days before: nothing yet
    assert (await chase(date(2030, 1, 7), days)).reminded == 1  # 3 days before
    assert (await chase(date(2030, 1, 7), days)).reminded == 0  # the same day again: once
    assert (await chase(date(2030, 1, 9), days)).reminded == 1  # 1 day before
    assert (await chase(date(2030, 1, 10), days)).overdue == 0  # the deadline day is in time
    assert await notices(grid.person_id) == ["assign", "remind", "remind"]

    late = await chase(date(2030, 1, 11), days)
    assert late.overdue == 1 and (await chase(date(2030, 1, 12), days)).overdue == 0
    assert "overdue" in await notices(grid.person_id)
    assert await notices(station.person_id) == ["overdue"]  # the station is told
    assert await notices(people["bureau"].person_id) == []  # not supervised: not the bureau
    kinds = [e.kind for e in await timeline(record_id)]
    assert kinds[-3:] == ["remind", "remind", "overdue"]
    assert (await get(station, record_id)).overdue_on(date(2030, 1, 11))

    # An extension granted: a new deadline is chased afresh.
    await send(
        grid,
        "request_extension",
        record_id,
        {"extension_until": "2030-02-01", "extension_reason": "材料未到"},
    )
    await send(
        station,
        "decide_extension",
        record_id,
        {"deadline": "2030-02-01", "extension_until": "", "extension_reason": ""},
    )
    assert (await get(station, record_id)).deadline == date(2030, 2, 1)
    assert (await chase(date(2030, 1, 29), days)).reminded == 1
    assert (await chase(date(2030, 2, 2), days)).overdue == 1


async def test_a_closed_hazard_is_not_chased(people) -> None:
    await hazard_in("closed", people)
    result = await chase(date(2031, 1, 1), (3, 1))
    assert result.overdue == 0


async def test_an_overdue_supervised_hazard_goes_up_to_the_bureau(people) -> None:
    record_id = await hazard_in("assigned", people, level="major")  # deadline 2030-01-01
    five = {
        "supervision_level": "city",
        "supervision_responsibility": "区应急局",
        "supervision_measures": "停产整改",
        "supervision_funds": "50万元",
        "supervision_deadline": "2030-01-01",
        "supervision_plan": "已备案",
    }
    assert (await send(people["bureau"], "supervise", record_id, five)).verdict == "applied"
    assert (await chase(date(2030, 1, 2), (3, 1))).overdue == 1
    assert await notices(people["bureau"].person_id) == ["overdue"]


async def _messages(person_id) -> list[dict]:
    return (
        await Message.select(Message.kind, Message.title, Message.body, Message.urgency)
        .where(
            (Message.recipient_id == person_id)
            & Message.kind.is_in(["hazard.digest", "hazard.overdue"])
        )
        .order_by(Message.created_at)
    )


async def test_a_pass_tells_each_person_once_however_many_are_late(people, monkeypatch) -> None:
    """Five overdue hazards, read two at a time: each flagged once (events, inbox lines), and
    the station hears of them in one digest counted by town, not five messages; ordinary
    hazards are not urgent (no calls), a major one makes the next digest urgent."""
    monkeypatch.setattr(deadlines, "BATCH", 2)
    made = [await hazard_in("assigned", people) for _ in range(5)]  # deadline 2030-01-01
    station = people["station"].person_id
    result = await chase(date(2030, 1, 2), (3, 1))
    assert result.overdue == 5 and 1 <= result.told <= 2  # the station (and an assignee)
    digest = await _messages(station)
    assert [m["kind"] for m in digest] == ["hazard.digest"]
    assert digest[0]["title"] == "5项隐患逾期未整改" and "5" in digest[0]["body"]
    assert digest[0]["urgency"] == "normal"
    assert await notices(station) == ["overdue"] * 5  # each still on the inbox
    for record_id in made:
        assert [e.kind for e in await timeline(record_id)].count("overdue") == 1
    again = await chase(date(2030, 1, 3), (3, 1))
    assert (again.overdue, again.told) == (0, 0)

    await hazard_in("assigned", people, level="major")
    await hazard_in("assigned", people)
    later = await chase(date(2030, 1, 4), (3, 1))
    assert later.overdue == 2
    last = (await _messages(station))[-1]
    assert last["title"] == "2项隐患逾期未整改" and last["urgency"] == "high"
