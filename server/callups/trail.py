"""A call-up's trail (全过程留痕): timeline events and the version open boards watch. Inside a
sync batch (a group of confirmations) both wait for the batch's end: the events are written
in one statement and each call-up's version moves once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from server.callups.tables import Callup, CallupEvent
from sync.batch import Batch, insert_rows


async def event(
    callup_id: uuid.UUID,
    target_id: uuid.UUID | None,
    kind: str,
    actor_id: uuid.UUID | None,
    detail: dict[str, Any],
    at: datetime | None = None,
) -> None:
    await insert_rows(CallupEvent, [event_row(callup_id, target_id, kind, actor_id, detail, at)])


def event_row(
    callup_id: uuid.UUID,
    target_id: uuid.UUID | None,
    kind: str,
    actor_id: uuid.UUID | None,
    detail: dict[str, Any],
    at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "callup_id": callup_id,
        "target_id": target_id,
        "kind": kind,
        "actor_id": actor_id,
        "detail": detail,
        "at": at or datetime.now(UTC),
    }


#: a sync batch's scratch (sync.batch.Batch.scratch): timeline events to write at its end,
#: call-ups whose version moved, and what the adapter read for the group (target id ->
#: (target row, its call-up); call-up id -> call-up)
EVENTS = "callups.events"
TOUCHED = "callups.touched"
TARGETS = "callups.targets"
CALLUPS = "callups.callups"


async def flush_events(batch: Batch) -> None:
    """Write the timeline events a sync batch kept (see answers.confirm)."""
    pending = batch.scratch(EVENTS, list)
    rows = list(pending)
    pending.clear()
    for at in range(0, len(rows), 500):
        await insert_rows(CallupEvent, rows[at : at + 500])


async def touch(callup_id: uuid.UUID, batch: Batch | None = None) -> None:
    """Open boards poll this number: it changes whenever anything on the call-up does. Once
    per batch is enough (a group of 200 confirmations bumps it once, not 200 times)."""
    if batch is not None:
        touched = batch.scratch(TOUCHED, set)
        if callup_id in touched:
            return
        touched.add(callup_id)
    await Callup.update({Callup.version: Callup.version + 1}).where(Callup.id == callup_id)
