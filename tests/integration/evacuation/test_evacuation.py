"""Evacuation rules against a real database: the roster from a warning, marks from the
field through the sync engine (scope, the latest trusted mark, every mark kept), the board
and the report agreeing with the marks, shelters' capacity, escalation, the return home."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest

from server.callups.tables import EarlyWarning
from server.evacuation import board, escalation, export, planning, service, shelters
from server.evacuation.tables import EvacEvent, EvacRow, Evacuation, Shelter
from server.notify.tables import Message
from tests.integration.evacuation.people import TAOYUAN_VILLAGE, cast, mark, rows, started

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("plans_kept")]


@pytest.fixture
async def people(demo):
    return await cast()


def mine(roster: list[dict], who, special: bool | None = None) -> list[dict]:
    """Rows in the grid of a grid member (or named for a keeper)."""
    grid = next(p.area_path for p in who.posts)
    found = [r for r in roster if r["area_path"] == grid]
    if special is not None:
        found = [r for r in found if r["special"] == special]
    return found


async def shelter_id(code: str) -> uuid.UUID:
    return (await Shelter.select(Shelter.id).where(Shelter.code == code).first())["id"]


async def test_a_warning_starts_the_roster_of_its_villages_zones(people) -> None:
    assert await Shelter.count().where(Shelter.open.eq(True)) == 0
    evacuation_id = await started(people["station"])
    roster = await rows(evacuation_id)
    # 清溪村's two zones: 6 + 4 households, none of 下湾村 or 桃源村
    assert len(roster) == 10
    assert {r["code"][:12] for r in roster} == {"339901002001"}
    special = [r for r in roster if r["special"]]
    assert special and all(r["next_at"] is not None and r["keeper_id"] for r in special)
    assert all(r["next_at"] is None for r in roster if not r["special"])
    evacuation = await service.load(evacuation_id)
    assert evacuation.code.startswith("ZY") and evacuation.warning_id
    # the shelters planned for its zones open; the others stay as they were
    opened = await Shelter.select(Shelter.code).where(Shelter.open.eq(True))
    assert sorted(r["code"] for r in opened) == ["BN-QX-01", "BN-QX-02"]


async def test_marks_reach_the_board_and_the_export(people) -> None:
    evacuation_id = await started(people["station"])
    roster = await rows(evacuation_id)
    one, two = mine(roster, people["grid1"]), mine(roster, people["grid2"])
    hall = await shelter_id("BN-QX-01")
    moved = await mark(
        people["grid1"],
        one[0]["id"],
        {"mark": "moved", "destination": "shelter", "shelter_id": str(hall), "heads": "3"},
    )
    assert moved.accepted, moved.reason
    assert (await mark(people["grid1"], one[1]["id"], {"mark": "self_moved"})).accepted
    refused = await mark(people["grid2"], two[0]["id"], {"mark": "refused", "reason": "要看家"})
    assert refused.accepted
    assert (await mark(people["grid2"], two[1]["id"], {"mark": "unreached"})).accepted
    # a refusal without a reason says why it is refused, and loses nothing else
    bare = await mark(people["grid2"], two[2]["id"], {"mark": "refused"})
    assert not bare.accepted and "Say why they refuse" in bare.reason
    evacuation = await service.load(evacuation_id)
    b = await board.board(evacuation)
    assert (b.total.households, b.total.moved, b.total.self_moved) == (10, 1, 1)
    assert (b.total.refused, b.total.unreached, b.total.to_move) == (1, 1, 6)
    # counts on the board equal the roster's marks
    marks = [r["mark"] for r in await rows(evacuation_id)]
    assert b.total.moved == marks.count("moved") and b.total.to_move == marks.count("")
    # people out of danger: the head count where marked, else the household's number
    assert b.total.people_out == 3 + one[1]["people"]
    assert sum(t.households for _p, _n, t in b.villages) == b.total.households
    # the export: a line per household, and a total line that is the sum of the lines above
    data = b"".join([chunk async for chunk in export.report_xlsx(evacuation, b, "Asia/Shanghai")])
    book = openpyxl.load_workbook(io.BytesIO(data))
    figures, households = book.worksheets[1], book.worksheets[2]
    lines = list(figures.iter_rows(min_row=2, values_only=True))
    total, villages = lines[-1], lines[:-1]
    for column in range(1, 9):
        assert total[column] == sum(v[column] for v in villages)
    assert total[1] == households.max_row - 1 == 10
    assert total[3] == b.total.moved and total[5] == b.total.refused
    assert [h[6] for h in households.iter_rows(min_row=2, values_only=True)].count("拒绝转移") == 1


async def test_a_household_outside_ones_scope_cannot_be_marked(people) -> None:
    evacuation_id = await started(people["station"])
    roster = await rows(evacuation_id)
    theirs = mine(roster, people["grid2"])[0]
    for who in ("grid1", "other_grid"):  # another grid of the village; another town
        refused = await mark(people[who], theirs["id"], {"mark": "self_moved"})
        assert not refused.accepted and "not on a roster you answer for" in refused.reason
    # a keeper marks only the households named for them, not the grid's others
    keeper = people["keeper1"]
    named = [r for r in roster if r["keeper_id"] == keeper.person_id]
    unnamed = [r for r in mine(roster, people["grid1"]) if r["keeper_id"] != keeper.person_id]
    assert named and unnamed
    assert (await mark(keeper, named[0]["id"], {"mark": "self_moved"})).accepted
    assert not (await mark(keeper, unnamed[0]["id"], {"mark": "self_moved"})).accepted
    assert (await EvacRow.select().where(EvacRow.id == theirs["id"]).first())["mark"] == ""


async def test_two_phones_keep_both_marks_and_show_the_later_trusted_one(people) -> None:
    evacuation_id = await started(people["station"])
    row = mine(await rows(evacuation_id), people["grid1"], special=True)[0]
    now = datetime.now(UTC)
    # started an hour ago: no mark's time can be earlier than the start
    await Evacuation.update({Evacuation.started_at: now - timedelta(hours=1)}).where(
        Evacuation.id == evacuation_id
    )
    later = int((now - timedelta(seconds=5)).timestamp() * 1000)
    earlier = int((now - timedelta(seconds=60)).timestamp() * 1000)
    # the keeper's phone marked it moved 5 s ago and sent it first; the grid member's phone
    # had marked it unreached a minute ago, offline, and sends it now: the later mark stays
    first = await mark(
        people["keeper1"], row["id"], {"mark": "moved", "destination": "relatives"},
        phone_ms=later, device=11,
    )  # fmt: skip
    second = await mark(
        people["grid1"], row["id"], {"mark": "unreached"}, phone_ms=earlier, device=12
    )
    assert first.accepted and second.accepted and not second.conflicts
    stored = await EvacRow.select().where(EvacRow.id == row["id"]).first()
    assert stored["mark"] == "moved" and stored["destination"] == "relatives"
    assert stored["marked_by"] == people["keeper1"].person_id and stored["next_at"] is None
    trail = await service.trail_of(row["id"])
    kept = [(e["detail"]["mark"], e["detail"]["latest"]) for e in trail if e["kind"] == "mark"]
    assert sorted(kept) == [("moved", True), ("unreached", False)]
    # a phone clock set to next year is trusted only up to the receipt
    future = int((now + timedelta(days=365)).timestamp() * 1000)
    assert (
        await mark(people["grid1"], row["id"], {"mark": "self_moved"}, phone_ms=future)
    ).accepted
    stored = await EvacRow.select().where(EvacRow.id == row["id"]).first()
    assert stored["mark"] == "self_moved" and stored["marked_at"] <= datetime.now(UTC)


async def test_capacity_warning_and_the_next_planned_shelter(people) -> None:
    evacuation_id = await started(people["station"])
    roster = await rows(evacuation_id)
    hall = await shelter_id("BN-QX-01")
    await Shelter.update({Shelter.capacity: 5}).where(Shelter.id == hall)
    try:
        await _fill_the_hall(people, evacuation_id, roster, hall)
    finally:  # the demo's plans stay as they were for the next test
        await Shelter.update({Shelter.capacity: 60}).where(Shelter.id == hall)


async def _fill_the_hall(people, evacuation_id, roster, hall) -> None:
    manager = people["manager"]
    first = [r for r in roster if r["zone_id"] == roster[0]["zone_id"]][:2]
    after = await shelters.check_in(manager, hall, first[0]["code"].lower(), 3)
    assert after.inside == 3 and not after.full
    after = await shelters.check_in(manager, hall, first[1]["code"], 2)
    assert after.inside == 5 and after.full
    door = await shelters.door(after)
    assert door.next_shelter is not None and door.next_shelter.name == "清溪镇中心小学避灾安置场所"
    # a check-in is the proof of moving: the household is marked moved to this shelter
    stored = await EvacRow.select().where(EvacRow.id == first[0]["id"]).first()
    assert (stored["mark"], stored["shelter_id"]) == ("moved", hall)
    with pytest.raises(Exception, match="checked in already"):
        await shelters.check_in(manager, hall, first[0]["code"], 3)
    await shelters.check_out(manager, hall, first[0]["id"])
    assert (await shelters.get(manager, hall)).inside == 2
    b = await board.board(await service.load(evacuation_id))
    assert [s.inside for s in b.shelters if s.id == hall] == [2]
    # someone who manages no shelter here cannot open its door
    with pytest.raises(Exception, match="not yours"):
        await shelters.get(people["grid1"], hall)


async def test_unmarked_special_needs_escalate_to_keeper_then_village_and_station(people):
    start = datetime.now(UTC) - timedelta(hours=1)
    evacuation_id = await started(people["station"], window_minutes=10)
    await Evacuation.update({Evacuation.started_at: start}).where(Evacuation.id == evacuation_id)
    await EvacRow.update({EvacRow.next_at: start + timedelta(minutes=10)}).where(
        (EvacRow.evacuation_id == evacuation_id) & EvacRow.special.eq(True)
    )
    roster = await rows(evacuation_id)
    special = [r for r in roster if r["special"]]
    safe = special[0]
    assert (await mark(people["grid1" if safe in mine(roster, people["grid1"]) else "grid2"],
                       safe["id"], {"mark": "self_moved"})).accepted  # fmt: skip
    keeper = people["keeper1"].person_id

    async def told(person) -> int:
        return await Message.count().where(
            (Message.recipient_id == person) & (Message.kind == "evacuation")
        )

    assert await escalation.escalate(start + timedelta(minutes=11)) == len(special) - 1
    assert await told(keeper) == 1
    assert await told(people["chief"].person_id) == 0
    assert await escalation.escalate(start + timedelta(minutes=15)) == 0  # not due again yet
    assert await escalation.escalate(start + timedelta(minutes=22)) == len(special) - 1
    assert await told(people["chief"].person_id) == 1
    assert await told(people["station"].person_id) == 1
    assert await escalation.escalate(start + timedelta(hours=2)) == 0  # two rounds, then the board
    kinds = [
        e["kind"] for e in await EvacEvent.select().where(EvacEvent.row_id == special[-1]["id"])
    ]
    assert kinds.count("escalated") == 2
    assert await EvacEvent.count().where(EvacEvent.row_id == safe["id"]) == 1  # its mark only


async def test_a_refusal_tells_the_station(people) -> None:
    evacuation_id = await started(people["station"])
    row = mine(await rows(evacuation_id), people["grid2"])[0]
    assert (
        await mark(people["grid2"], row["id"], {"mark": "refused", "reason": "不肯走"})
    ).accepted
    notes = await Message.select().where(
        (Message.recipient_id == people["station"].person_id) & (Message.kind == "evacuation")
    )
    assert len(notes) == 1 and notes[0]["body"] == "不肯走"


async def test_a_lifted_warning_starts_the_return_home(people) -> None:
    evacuation_id = await started(people["station"])
    evacuation = await service.load(evacuation_id)
    await EarlyWarning.update({EarlyWarning.state: "cancelled"}).where(
        EarlyWarning.id == evacuation.warning_id
    )
    await escalation.escalate()
    after = await service.load(evacuation_id)
    assert after.state.value == "returning" and after.returning_at is not None
    assert (
        await EvacRow.count().where(
            (EvacRow.evacuation_id == evacuation_id) & EvacRow.next_at.is_not_null()
        )
        == 0
    )


async def test_only_staff_over_the_villages_watch(people) -> None:
    evacuation_id = await started(people["station"])
    with pytest.raises(Exception, match="cannot see it"):
        await service.watchable(people["grid1"], evacuation_id)
    assert (await service.get(people["grid1"], evacuation_id)).id == evacuation_id
    with pytest.raises(Exception, match="cannot see it"):
        await service.get(people["other_grid"], evacuation_id)


async def test_drills_are_counted_apart(people) -> None:
    real = await started(people["station"])
    taoyuan = [z.id for z in await planning.zones_in(people["admin"].scope)
               if z.area_path.endswith(f"/{TAOYUAN_VILLAGE}/")]  # fmt: skip
    drill = await service.start(people["admin"], service.Start("山洪演练", taoyuan, drill=True))
    drilled = await rows(drill)
    await mark(people["admin"], drilled[0]["id"], {"mark": "self_moved"})
    marked = await rows(real)
    await mark(people["grid1"], mine(marked, people["grid1"])[0]["id"], {"mark": "self_moved"})
    listed = await service.listing(people["admin"])
    real_figures, drill_figures = await board.figures(listed)
    assert (real_figures.evacuations, real_figures.tally.households) == (1, len(marked))
    assert (drill_figures.evacuations, drill_figures.tally.households) == (1, len(drilled))
    assert real_figures.tally.safe == drill_figures.tally.safe == 1
