"""Escalation of a special-needs household nobody has marked (应转尽转: no one left behind).

| round | when                         | who is told                                          |
| ----- | ---------------------------- | ---------------------------------------------------- |
| 1     | one window after the start   | the household's keeper (包保人), urgently             |
| 2     | a window later               | the village's flood-duty administrative person and   |
|       |                              | the town's station, naming the households             |
| > 2   | -                            | nothing more: the board lists them as unreached       |
Any mark but 不在家/联系不上 stops it (adapter.record clears next_at); an evacuation that
turns to the return home, or closes, escalates no more. Rows are claimed (next_at moved in
the same UPDATE that reads them) so that two workers never tell anyone twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from server import db
from server.evacuation import alerts, service
from server.evacuation.kinds import EvacState
from server.evacuation.records import EvacRecord
from server.evacuation.tables import EvacEvent, EvacRow, Evacuation, Household
from server.evacuation.trail import event_row, touch
from server.notify.deliveries import send_to
from sync.batch import insert_rows

ROUNDS = 2
BATCH = 1000


async def escalate(now: datetime | None = None) -> int:
    """One pass of the worker: returns how many households were escalated."""
    now = now or datetime.now(UTC)
    await service.lifted_warnings()
    done = 0
    while True:
        due = await (
            EvacRow.select(EvacRow.id, EvacRow.evacuation_id)
            .where(
                (EvacRow.next_at <= now)
                & EvacRow.removed.eq(False)
                & EvacRow.evacuation_id.is_in(
                    Evacuation.select(Evacuation.id).where(
                        Evacuation.state == EvacState.active.value
                    )
                )
            )
            .limit(BATCH)
        )
        if not due:
            return done
        groups: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for row in due:
            groups[row["evacuation_id"]].append(row["id"])
        for evacuation_id, ids in groups.items():
            done += await _round(await service.load(evacuation_id), ids, now)


async def _round(evacuation: EvacRecord, ids: list[uuid.UUID], now: datetime) -> int:
    later = now + timedelta(minutes=evacuation.window_minutes)
    async with db.current().write():
        claimed = await (
            EvacRow.update({EvacRow.rounds: EvacRow.rounds + 1, EvacRow.next_at: later})
            .where(EvacRow.id.is_in(ids) & (EvacRow.next_at <= now))
            .returning(*EvacRow.all_columns())
        )
        # the last round sets no next one
        last = [r["id"] for r in claimed if r["rounds"] >= ROUNDS]
        if last:
            await EvacRow.update({EvacRow.next_at: None}).where(EvacRow.id.is_in(last))
        events = [
            event_row(evacuation.id, r["id"], "escalated", None, {"round": r["rounds"]}, now)
            for r in claimed
        ]
        if events:
            await insert_rows(EvacEvent, events)
            await touch(evacuation.id)
    await _tell(evacuation, claimed)
    return len(claimed)


async def _tell(evacuation: EvacRecord, claimed: list[dict]) -> None:
    keepers: dict[uuid.UUID, int] = defaultdict(int)
    upward: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in claimed:
        if r["rounds"] == 1 and r["keeper_id"]:
            keepers[r["keeper_id"]] += 1
        elif r["rounds"] >= ROUNDS or not r["keeper_id"]:
            upward[(r["village_path"], r["area_path"])].append(r)
    for person, count in keepers.items():
        await send_to(person, alerts.keeper_note(evacuation, count))
    by_village: dict[str, list[dict]] = defaultdict(list)
    for (village, _path), rows in upward.items():
        by_village[village] += rows
    for village, rows in by_village.items():
        heads = {
            h["id"]: h["head_name"]
            for h in await Household.select(Household.id, Household.head_name).where(
                Household.id.is_in([r["household_id"] for r in rows])
            )
        }
        names = [heads.get(r["household_id"], "?") for r in rows][:5]
        told = await alerts.village_chiefs(village)
        told += await alerts.station_of(rows[0]["area_path"])
        for person in dict.fromkeys(told):
            await send_to(person, alerts.chief_note(evacuation, names, len(rows)))
