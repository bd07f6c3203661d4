"""Chasing deadlines (the worker's job): remind the assignee before the deadline, flag what
is overdue and tell the station; a supervised major hazard also goes up to the bureau.

Every step is an event on the hazard's timeline and a line in the inbox of those told. The
work is bounded whatever the history: open hazards are read a batch at a time in id order
over a partial index (open ones only), each batch in its own short transaction that holds
no lock the delivery loop needs. A (hazard, deadline, step) key inserted with ON CONFLICT
DO NOTHING makes each step happen once, however often the job runs and on two workers at
once. What one pass found is told as one digest per person ("12 项隐患逾期未整改 · 城北街道 8
· 清溪镇 4"): urgent (texts, then calls, on the person's ladder) only when it holds a major
or supervised hazard, and a newer digest replaces an unread older one.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from piccolo.columns.combination import Combinable

from server import db
from server.directory.kinds import PostKind
from server.directory.service import holders_over, whereabouts
from server.hazards.adapter import notify
from server.hazards.policy import Level, Status
from server.hazards.tables import Hazard, HazardChase, HazardEvent, HazardNotice
from server.i18n import N_, gettext
from server.notify.deliveries import Note, send_to

STILL_OPEN = [Status.accepted.value, Status.assigned.value]
UP_FOR_SUPERVISED = [PostKind.bureau_staff]
#: hazards per transaction
BATCH = 500
_COLUMNS = (
    Hazard.id,
    Hazard.code,
    Hazard.address,
    Hazard.deadline,
    Hazard.assignee_id,
    Hazard.area_path,
    Hazard.level,
    Hazard.supervised_level,
    Hazard.seq,
)


@dataclass
class Chased:
    reminded: int = 0
    overdue: int = 0
    #: digests sent: one per person told, whatever the number of hazards
    told: int = 0


@dataclass
class Digest:
    remind: list[dict[str, Any]] = field(default_factory=list)
    overdue: list[dict[str, Any]] = field(default_factory=list)


async def chase(today: date, remind_days: tuple[int, ...]) -> Chased:
    done = Chased()
    digests: dict[uuid.UUID, Digest] = {}
    for days in remind_days:
        due = (Hazard.status == Status.assigned.value) & (
            Hazard.deadline == today + timedelta(days=days)
        )
        async for row, told in _fresh(due, f"remind{days}", "remind", {"days": days}, _assignee):
            for person in told:
                digests.setdefault(person, Digest()).remind.append(row)
            done.reminded += 1
    late = Hazard.status.is_in(STILL_OPEN) & (Hazard.deadline < today)
    up = _Up()
    async for row, told in _fresh(late, "overdue", "overdue", {}, up):
        for person in told:
            digests.setdefault(person, Digest()).overdue.append(row)
        done.overdue += 1
    for person, digest in digests.items():
        await _tell(person, digest)
    done.told = len(digests)
    return done


async def _assignee(row: dict[str, Any]) -> list[uuid.UUID]:
    return [row["assignee_id"]] if row["assignee_id"] else []


class _Up:
    """Who hears that a hazard is overdue: its assignee and the station over its grid (the
    bureau too when supervised), looked up once per area and pass."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, bool], list[uuid.UUID]] = {}

    async def __call__(self, row: dict[str, Any]) -> list[uuid.UUID]:
        supervised = bool(row["supervised_level"])
        key = (row["area_path"], supervised)
        if key not in self.cache:
            kinds = [PostKind.station_staff, *(UP_FOR_SUPERVISED if supervised else [])]
            self.cache[key] = await holders_over(row["area_path"], kinds)
        return list(dict.fromkeys(p for p in [row["assignee_id"], *self.cache[key]] if p))


async def _fresh(
    where: Combinable, step: str, kind: str, data: dict, told_of: Any
) -> AsyncIterator[tuple[dict[str, Any], list[uuid.UUID]]]:
    """Each hazard matching `where` whose `step` was not taken yet for its deadline, with
    the people told, once the batch's transaction (keys, events, inbox lines) committed."""
    last: uuid.UUID | None = None
    database = db.current()
    while True:
        query = Hazard.select(*_COLUMNS).where(
            where if last is None else where & (Hazard.id > last)
        )
        rows = await query.order_by(Hazard.id).limit(BATCH)
        if not rows:
            return
        last = rows[-1]["id"]
        keyed = {f"{r['id']}:{r['deadline'].isoformat()}:{step}": r for r in rows}
        told = {r["id"]: await told_of(r) for r in rows}
        now = datetime.now(UTC)
        async with database.write():
            taken = await (
                HazardChase.insert(
                    *(HazardChase(key=k, hazard_id=r["id"]) for k, r in keyed.items())
                )
                .on_conflict(action="DO NOTHING")
                .returning(HazardChase.key)
            )
            fresh = [keyed[t["key"]] for t in taken]
            if not fresh:
                continue
            await HazardEvent.insert(
                *(
                    HazardEvent(
                        hazard_id=r["id"],
                        kind=kind,
                        server_time=now,
                        data={**data, "deadline": r["deadline"].isoformat()},
                        seq=r["seq"],
                    )
                    for r in fresh
                )
            )
            lines = [
                HazardNotice(person_id=p, hazard_id=r["id"], kind=kind)
                for r in fresh
                for p in told[r["id"]]
            ]
            for at in range(0, len(lines), BATCH):
                await HazardNotice.insert(*lines[at : at + BATCH])
        for row in fresh:
            yield row, told[row["id"]]


async def _tell(person: uuid.UUID, digest: Digest) -> None:
    """One message for what a pass found for this person: a single hazard is named (and its
    page opened), several are counted by town."""
    found = digest.overdue + digest.remind
    if len(found) == 1:
        await notify(person, found[0]["id"], "overdue" if digest.overdue else "remind", inbox=False)
        return
    towns = await whereabouts([r["area_path"] for r in found])
    parts = []
    for rows, label in (
        (digest.overdue, N_("%(count)s hazards overdue")),
        (digest.remind, N_("%(count)s hazards due soon")),
    ):
        if rows:
            by_town = Counter(
                towns[r["area_path"]].town if r["area_path"] in towns else "" for r in rows
            )
            places = " · ".join(f"{t or '—'} {n}" for t, n in by_town.most_common(4))
            parts.append((gettext(label, count=len(rows)), places))
    urgent = any(r["level"] == Level.major.value or r["supervised_level"] for r in digest.overdue)
    await send_to(
        person,
        Note(
            kind="hazard.digest",
            title=parts[0][0] + (f"，{parts[1][0]}" if len(parts) > 1 else ""),
            body="；".join(p for _label, p in parts),
            url="/hazards?overdue=1" if digest.overdue else "/hazards",
            urgency="high" if urgent else "normal",
            topic="hazard-digest",
        ),
    )
