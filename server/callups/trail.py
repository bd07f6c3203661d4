"""A call-up's trail (全过程留痕): timeline events, the version open boards watch, and a memo
that lives as long as the current transaction (what a group of confirmations shares)."""

from __future__ import annotations

import contextvars
import uuid
from datetime import UTC, datetime
from typing import Any

from server import db
from server.callups.tables import Callup, CallupEvent
from sync.batch import insert_rows


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


async def flush_events() -> None:
    """Write the timeline events kept during this transaction (see confirm)."""
    pending = per_transaction("events", list)
    if pending:
        rows = list(pending)
        pending.clear()
        for at in range(0, len(rows), 500):
            await insert_rows(CallupEvent, rows[at : at + 500])


async def touch(callup_id: uuid.UUID) -> None:
    """Open boards poll this number: it changes whenever anything on the call-up does. Once
    per transaction is enough (a group of 200 confirmations bumps it once, not 200 times)."""
    touched = per_transaction("touched", set)
    if touched is not None:
        if callup_id in touched:
            return
        touched.add(callup_id)
    await Callup.update({Callup.version: Callup.version + 1}).where(Callup.id == callup_id)


#: (the transaction, its memo) for this task: replaced when another transaction asks
_memo: contextvars.ContextVar[tuple[Any, dict[str, Any]] | None] = contextvars.ContextVar(
    "callup_memo", default=None
)


def per_transaction(name: str, make: Any) -> Any:
    """A memo that lives as long as the current transaction (None outside one)."""
    transaction = db.current().engine.current_transaction.get()
    if transaction is None:
        return None
    held = _memo.get()
    if held is None or held[0] is not transaction:
        held = (transaction, {})
        _memo.set(held)
    return held[1].setdefault(name, make())
