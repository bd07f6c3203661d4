"""Chasing deadlines (the worker's job): remind the assignee before the deadline, flag what
is overdue and tell the station; a supervised major hazard also goes up to the bureau.

Every step is an event on the hazard's timeline and a line in the inbox of those told; a
(hazard, deadline, step) key makes each step happen once, whoever runs the job how often.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from server import db
from server.directory.kinds import PostKind
from server.directory.service import holders_over
from server.hazards.adapter import notify
from server.hazards.policy import Status
from server.hazards.tables import Hazard, HazardChase, HazardEvent

STILL_OPEN = [Status.accepted.value, Status.assigned.value]
UP_FOR_SUPERVISED = [PostKind.bureau_staff]


@dataclass
class Chased:
    reminded: int = 0
    overdue: int = 0


async def chase(today: date, remind_days: tuple[int, ...]) -> Chased:
    done = Chased()
    database = db.current()
    async with database.write():
        await database.serialize("hazard_chase")
        for days in remind_days:
            rows = await Hazard.select().where(
                (Hazard.status == Status.assigned.value)
                & (Hazard.deadline == today + timedelta(days=days))
            )
            for row in rows:
                if await _once(row, f"remind{days}"):
                    await _event(row, "remind", {"days": days})
                    if row["assignee_id"]:
                        await notify(row["assignee_id"], row["id"], "remind")
                    done.reminded += 1
        rows = await Hazard.select().where(
            Hazard.status.is_in(STILL_OPEN) & (Hazard.deadline < today)
        )
        for row in rows:
            if await _once(row, "overdue"):
                await _event(row, "overdue", {})
                await _tell_up(row)
                done.overdue += 1
    return done


async def _once(row: dict, step: str) -> bool:
    key = f"{row['id']}:{row['deadline'].isoformat()}:{step}"
    if await HazardChase.exists().where(HazardChase.key == key):
        return False
    await HazardChase.insert(HazardChase(key=key, hazard_id=row["id"]))
    return True


async def _event(row: dict, kind: str, data: dict) -> None:
    await HazardEvent.insert(
        HazardEvent(
            hazard_id=row["id"],
            kind=kind,
            server_time=datetime.now(UTC),
            data={**data, "deadline": row["deadline"].isoformat()},
            seq=row["seq"],
        )
    )


async def _tell_up(row: dict) -> None:
    kinds = [PostKind.station_staff]
    if row["supervised_level"]:
        kinds += UP_FOR_SUPERVISED  # 挂牌督办: overdue goes to the supervising level too
    told: set[uuid.UUID] = set()
    for person in [row["assignee_id"], *await holders_over(row["area_path"], kinds)]:
        if person and person not in told:
            told.add(person)
            await notify(person, row["id"], "overdue")
