"""Appending to and reading the audit trail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.query.functions.aggregate import Max

from server import db
from server.audit.tables import AuditEvent


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    at: datetime
    action: str
    entity: str
    record_id: str
    actor_id: uuid.UUID | None
    detail: dict[str, Any]


async def record_event(
    action: str,
    *,
    entity: str = "",
    record_id: str = "",
    actor_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one event and return its seq; joins the caller's write transaction if any."""
    database = db.current()
    async with database.write():
        await database.serialize("audit_event")
        row = await AuditEvent.select(Max(AuditEvent.seq, alias="top")).first()
        seq = int((row or {}).get("top") or 0) + 1
        await AuditEvent.insert(
            AuditEvent(
                seq=seq,
                action=action,
                entity=entity,
                record_id=record_id,
                actor_id=actor_id,
                detail=detail or {},
            )
        )
    return seq


async def events(action: str | None = None, limit: int = 100) -> list[Event]:
    """The newest events first, optionally of one action."""
    query = AuditEvent.select().order_by(AuditEvent.seq, ascending=False).limit(limit)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    rows = await query.output(load_json=True)
    return [
        Event(
            seq=r["seq"],
            at=r["at"],
            action=r["action"],
            entity=r["entity"],
            record_id=r["record_id"],
            actor_id=r["actor_id"],
            detail=r["detail"],
        )
        for r in rows
    ]
