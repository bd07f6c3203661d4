"""An evacuation's trail (全过程留痕) and the version open boards watch. Inside a sync batch
(a group of marks) the events wait for the batch's end and each version moves once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from server.evacuation.tables import EvacEvent, Evacuation
from sync.batch import Batch, insert_rows

#: a sync batch's scratch: events, rows' new marks and refusals to tell of, all at its end;
#: evacuations touched; rows, their evacuations and the shelters named, read once for the group
EVENTS = "evacuation.events"
UPDATES = "evacuation.updates"
REFUSALS = "evacuation.refusals"
TOUCHED = "evacuation.touched"
ROWS = "evacuation.rows"
EVACUATIONS = "evacuation.evacuations"
SHELTERS = "evacuation.shelters"


def event_row(
    evacuation_id: uuid.UUID,
    row_id: uuid.UUID | None,
    kind: str,
    actor_id: uuid.UUID | None,
    detail: dict[str, Any],
    at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "evacuation_id": evacuation_id,
        "row_id": row_id,
        "kind": kind,
        "actor_id": actor_id,
        "detail": detail,
        "at": at or datetime.now(UTC),
    }


async def event(
    evacuation_id: uuid.UUID,
    row_id: uuid.UUID | None,
    kind: str,
    actor_id: uuid.UUID | None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    await insert_rows(
        EvacEvent, [event_row(evacuation_id, row_id, kind, actor_id, detail or {}, at)]
    )


async def flush_events(batch: Batch) -> None:
    pending = batch.scratch(EVENTS, list)
    rows = list(pending)
    pending.clear()
    for at in range(0, len(rows), 500):
        await insert_rows(EvacEvent, rows[at : at + 500])


async def touch(evacuation_id: uuid.UUID, batch: Batch | None = None) -> None:
    """Open boards poll this number; once per batch is enough."""
    if batch is not None:
        touched = batch.scratch(TOUCHED, set)
        if evacuation_id in touched:
            return
        touched.add(evacuation_id)
    await Evacuation.update({Evacuation.version: Evacuation.version + 1}).where(
        Evacuation.id == evacuation_id
    )
