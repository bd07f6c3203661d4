"""The staff's side of a tip-off: accept it into a new hazard or join it to one already
reported (the reporter then follows that hazard, through any later merge), reject it with
a reason, reply to the reporter; and 办结 once the hazard is closed and the reporter has a
reply (the worker settles these)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from server import db
from server.auth.service import Viewer
from server.errors import DomainError
from server.hazards import service as hazards
from server.hazards.policy import Level, Status
from server.i18n import N_, gettext
from server.syncing.forms import mutation_for
from server.tipoffs import reporter, rewards
from server.tipoffs.service import check_open, event, get
from server.tipoffs.tables import TipOff

REPLY_MAX = 1000


#: what a hazard's description holds (hazards/fields.py)
HAZARD_DESCRIPTION_MAX = 2000


async def accept_new(
    viewer: Viewer, tipoff_id: uuid.UUID, grid_path: str, level: str, department: str = ""
) -> uuid.UUID:
    """A new hazard from the tip-off, in the grid staff chose (the tip-off's own by default),
    in one transaction; with `department` (an id), the hazard is transferred to it (转办: a
    tip-off outside the station's remit is passed on, not closed). The hazard's id and its
    mutations' ids derive from the tip-off, so a second accept (a double submit, two staff
    at once) is the same write: it finds the tip-off accepted into that hazard and answers
    with it."""
    if level not in {v.value for v in Level}:
        raise DomainError(N_("Choose the hazard level."))
    hazard_id = uuid.uuid5(tipoff_id, "hazard")
    database = db.current()
    async with database.write():
        await database.serialize("sync")  # read behind the lock: an earlier accept is seen
        row = await get(viewer, tipoff_id)
        if row["state"] == "accepted" and str(row["hazard_id"]) == str(hazard_id):
            return hazard_id
        check_open(row)
        fields = {
            "category": row["category"],
            "level": level,
            # a relayed caller's may run to 4,000 characters (GeoReport): the hazard takes
            # what its own field holds, the tip-off keeps the whole
            "description": row["description"][:HAZARD_DESCRIPTION_MAX],
            "lat": row["lat"],
            "lng": row["lng"],
            "accuracy": row["accuracy"],
            "address": row["address"],
            "area_path": grid_path or row["area_path"],
            "source": "tipoff",
            # the served copies: the originals (with their metadata) stay with the tip-off
            "photos_before": [{"id": p["sha256"], "sha256": p["sha256"]} for p in row["photos"]],
        }
        # the hazard's own trail says where it came from; and the station that accepts the
        # tip-off has triaged it: the hazard is accepted too (the resident's page would
        # otherwise show 已受理 beside a hazard 待受理)
        note = gettext(N_("From tip-off %(number)s"), number=row["number"])
        steps: tuple[tuple[str, dict], ...] = (
            ("report", fields),
            ("note", {"notes": note}),
            ("accept", {"level": level}),
        )
        if department:
            steps += (("transfer", {"department_id": department}),)
        for op, values in steps:
            raw = mutation_for(
                viewer,
                entity="hazard",
                op=op,
                record_id=hazard_id,
                fields=values,
                mutation_id=str(uuid.uuid5(tipoff_id, op)),
            )
            if op == "report":  # in this transaction, as every write in it
                result = await hazards.report(viewer, raw)
            else:
                result = await hazards.act(viewer, hazard_id, raw)
            if not result.accepted:
                raise DomainError(result.reason)  # nothing of the accept is kept
        await _accepted(viewer, tipoff_id, hazard_id, "accepted", level)
        await reporter.tell([tipoff_id], reporter.ACCEPTED)
    return hazard_id


async def join(viewer: Viewer, tipoff_id: uuid.UUID, hazard_code: str) -> uuid.UUID:
    """Join the tip-off to a hazard already reported (by its number, e.g. YH20261124-17)."""
    row = await get(viewer, tipoff_id)
    check_open(row)
    found = await hazards.by_code(viewer, hazard_code.strip().upper())
    if found is None:
        raise DomainError(N_("No hazard you can see has this number."))
    await _accepted(viewer, tipoff_id, found, "joined", "general")
    await reporter.tell([tipoff_id], reporter.ACCEPTED)
    return found


async def _accepted(
    viewer: Viewer, tipoff_id: uuid.UUID, hazard_id: uuid.UUID, kind: str, level: str
) -> None:
    """Accepted: linked to its hazard; a reward opened when it is the hazard's first report
    (a tip-off joined to a hazard already reported is not)."""
    database = db.current()
    async with database.write():
        await TipOff.update(
            {
                TipOff.state: "accepted",
                TipOff.hazard_id: hazard_id,
                TipOff.handled_by: viewer.person_id,
                TipOff.accepted_at: datetime.now(UTC),
            }
        ).where((TipOff.id == tipoff_id) & (TipOff.state == "received"))
        await event(tipoff_id, kind, viewer.person_id, {"hazard_id": str(hazard_id)})
        await rewards.open_for(tipoff_id, hazard_id, level, first=kind == "accepted")


async def reject(viewer: Viewer, tipoff_id: uuid.UUID, reason: str) -> None:
    row = await get(viewer, tipoff_id)
    check_open(row)
    reason = reason.strip()
    if not 2 <= len(reason) <= 300:
        raise DomainError(N_("Say why in 2 to 300 characters: the reporter reads it."))
    database = db.current()
    async with database.write():
        await TipOff.update(
            {
                TipOff.state: "rejected",
                TipOff.reject_reason: reason,
                TipOff.handled_by: viewer.person_id,
            }
        ).where((TipOff.id == tipoff_id) & (TipOff.state == "received"))
        await event(tipoff_id, "rejected", viewer.person_id, {"reason": reason})
    await reporter.tell([tipoff_id], reporter.REJECTED)


async def reply(viewer: Viewer, tipoff_id: uuid.UUID, text: str) -> None:
    await get(viewer, tipoff_id)
    text = text.strip()
    if not 2 <= len(text) <= REPLY_MAX:
        raise DomainError(N_("Write the reply in 2 to 1,000 characters."))
    database = db.current()
    async with database.write():
        await TipOff.update({TipOff.reply: text, TipOff.replied_at: datetime.now(UTC)}).where(
            TipOff.id == tipoff_id
        )
        await event(tipoff_id, "replied", viewer.person_id, {"text": text})
    await reporter.tell([tipoff_id], reporter.REPLIED)
    await settle([tipoff_id])


async def settle(tipoff_ids: list[uuid.UUID] | None = None) -> int:
    """办结: accepted tip-offs with a reply whose hazard (after merges) is closed."""
    query = TipOff.select(TipOff.id, TipOff.hazard_id).where(
        (TipOff.state == "accepted") & (TipOff.reply != "") & TipOff.hazard_id.is_not_null()
    )
    if tipoff_ids is not None:
        query = query.where(TipOff.id.is_in(tipoff_ids))
    rows = await query
    outcomes = await hazards.outcomes([r["hazard_id"] for r in rows])
    done = [
        r["id"]
        for r in rows
        if (o := outcomes.get(r["hazard_id"])) is not None and o.status is Status.closed
    ]
    if not done:
        return 0
    database = db.current()
    async with database.write():
        await TipOff.update(
            {TipOff.state: "resolved", TipOff.resolved_at: datetime.now(UTC)}
        ).where(TipOff.id.is_in(done) & (TipOff.state == "accepted"))
        for tipoff_id in done:
            await event(tipoff_id, "resolved", None, {})
    await reporter.tell(done, reporter.RESOLVED)
    return len(done)
