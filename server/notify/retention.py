"""Retention: what the notification queue keeps once it has done its work. A city sends
millions of deliveries a year; the rows of finished ones older than `days` go, in small
batches (a short transaction each: the delivery loop never waits on them). Pending ones stay
whatever their age, and so do the messages a pending delivery or a person's answer needs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from server import db
from server.notify.tables import Delivery, GatewayLog, Message

#: states a delivery ends in (deliveries.py): nothing will be done with it again
FINISHED = ("sent", "failed", "gone", "replaced", "skipped")
BATCH = 2000


async def prune(now: datetime, days: int, batch: int = BATCH) -> dict[str, int]:
    """Remove finished deliveries, their messages and gateway log lines older than `days`;
    how many of each."""
    cutoff = now - timedelta(days=days)
    removed = {
        "deliveries": await _in_batches(
            Delivery, (Delivery.created_at < cutoff) & Delivery.state.is_in(list(FINISHED)), batch
        ),
        "gateway_log": await _in_batches(GatewayLog, GatewayLog.created_at < cutoff, batch),
    }
    # a message goes once no delivery of it is left (pending ones keep it)
    orphaned = (Message.created_at < cutoff) & Message.id.not_in(
        Delivery.select(Delivery.message_id)
    )
    removed["messages"] = await _in_batches(Message, orphaned, batch)
    return removed


async def _in_batches(table: Any, where: Any, batch: int) -> int:
    removed = 0
    while True:
        ids = [r["id"] for r in await table.select(table.id).where(where).limit(batch)]
        if not ids:
            return removed
        async with db.current().write():
            await table.delete().where(table.id.is_in(ids))
        removed += len(ids)
        if len(ids) < batch:
            return removed
