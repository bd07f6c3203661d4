"""Confirmations from every path (the page, the notification, a text reply, the duty officer)
meet in confirm(): the earliest trusted time counts, escalation stops, a stand-in is called."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from server import db
from server.callups.kinds import Answer, Via
from server.callups.records import CallupRecord
from server.callups.service import _target_row, note_for, target_of
from server.callups.tables import Callup, CallupEvent, CallupTarget
from server.callups.trail import EVENTS, TARGETS, event, event_row, touch
from server.notify.deliveries import send_to
from sync.batch import Batch, insert_rows


@dataclass(frozen=True)
class Confirmation:
    answer: Answer
    at: datetime
    via: Via
    phone_at: datetime | None = None
    actor_id: uuid.UUID | None = None
    note: str = ""
    reason: str = ""
    lat: float | None = None
    lng: float | None = None
    standin_id: uuid.UUID | None = None


async def confirm(
    target: dict[str, Any],
    c: Confirmation,
    *,
    set_answer: bool,
    columns: dict[Any, Any] | None = None,
    batch: Batch | None = None,
) -> None:
    """Inside a write transaction. The earliest trusted time is the one that counts (two
    phones, or a text and a tap); any confirmation stops escalation. `set_answer` is False
    where the answer was merged already (the sync adapter passes it in `columns`, and its
    `batch`: the timeline event waits for the batch's end, and what the adapter read for
    the group is kept true)."""
    now = datetime.now(UTC)
    update: dict[Any, Any] = {**(columns or {}), CallupTarget.next_at: None}
    earlier = target["confirmed_at"] is None or c.at < target["confirmed_at"]
    if earlier:
        update.update(
            {
                CallupTarget.confirmed_at: c.at,
                CallupTarget.phone_at: c.phone_at,
                CallupTarget.received_at: now,
                CallupTarget.via: c.via.value,
                CallupTarget.recorded_by: c.actor_id if c.via is Via.officer else None,
            }
        )
    if set_answer and not target["answer"]:
        update[CallupTarget.answer] = c.answer.value
    await CallupTarget.update(update).where(CallupTarget.id == target["id"])
    written = {column._meta.name: value for column, value in update.items()}
    target.update(written)
    if batch is not None:
        kept = batch.scratch(TARGETS, dict).get(target["id"])
        if kept is not None and kept[0] is not target:
            kept[0].update(written)
    detail = {"answer": c.answer.value, "via": c.via.value, "earliest": earlier}
    if c.phone_at:
        detail["phone_at"] = c.phone_at.isoformat()
    if c.reason:
        detail["reason"] = c.reason
    row = event_row(target["callup_id"], target["id"], "confirmed", c.actor_id, detail, c.at)
    if batch is not None:
        batch.scratch(EVENTS, list).append(row)  # written by the sync adapter's flush()
    else:
        await insert_rows(CallupEvent, [row])
    if c.answer is Answer.unable and c.standin_id:
        await _stand_in(target, c.standin_id, c.actor_id)
    await touch(target["callup_id"], batch)


async def _stand_in(
    target: dict[str, Any], person_id: uuid.UUID, actor_id: uuid.UUID | None
) -> None:
    """The named stand-in becomes a target with a window of their own."""
    row = await Callup.select().where(Callup.id == target["callup_id"]).first()
    callup = CallupRecord.from_row(row)
    if callup.state != "sent" or await target_of(person_id, callup.id):
        return
    new = _target_row(
        callup.id,
        person_id,
        None,
        target["area_path"],
        target["superior_id"],
        "standin",
        target["id"],
    )
    new["called_at"] = new["queued_at"] = datetime.now(UTC)  # told just below
    new["next_at"] = new["called_at"] + timedelta(minutes=callup.window_minutes)
    await insert_rows(CallupTarget, [new])
    await CallupTarget.update({CallupTarget.standin_id: person_id}).where(
        CallupTarget.id == target["id"]
    )
    await event(callup.id, new["id"], "standin", actor_id, {"for": str(target["id"])})
    await send_to(person_id, note_for(callup))


async def mark_opened(target: dict[str, Any]) -> None:
    """The target opened their answer page (已读); written only the first time."""
    if target["opened_at"] is not None or target["confirmed_at"] is not None:
        return
    now = datetime.now(UTC)
    async with db.current().write():
        done = (
            await CallupTarget.update({CallupTarget.opened_at: now})
            .where((CallupTarget.id == target["id"]) & CallupTarget.opened_at.is_null())
            .returning(CallupTarget.id)
        )
        if done:
            await event(target["callup_id"], target["id"], "opened", target["person_id"], {}, now)
            await touch(target["callup_id"])
