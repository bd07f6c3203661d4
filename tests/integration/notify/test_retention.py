"""Retention: finished deliveries, their messages and gateway log lines older than the
setting go, in batches; pending ones and everything recent stay."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from server.db import Database
from server.notify import retention
from server.notify.tables import Delivery, GatewayLog, Message

pytestmark = pytest.mark.db


async def _message(at: datetime, states: list[str]) -> uuid.UUID:
    message_id = uuid.uuid4()
    await Message.insert(
        Message(id=message_id, kind="test", recipient_id=uuid.uuid4(), title="t", created_at=at)
    )
    for state in states:
        await Delivery.insert(
            Delivery(
                id=uuid.uuid4(),
                message_id=message_id,
                recipient_id=uuid.uuid4(),
                channel="webpush",
                state=state,
                created_at=at,
            )
        )
    return message_id


async def test_old_finished_work_goes_pending_and_recent_stay(database: Database) -> None:
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=200), now - timedelta(days=10)
    done = [await _message(old, ["sent", "replaced"]) for _ in range(5)]
    waiting = await _message(old, ["sent", "pending"])  # a pending one keeps its message
    fresh = await _message(recent, ["sent"])
    for at in (old, old, recent):
        await GatewayLog.insert(GatewayLog(id=uuid.uuid4(), channel="sms", text="x", created_at=at))

    removed = await retention.prune(now, days=180, batch=3)  # small batches: several rounds
    assert removed == {"deliveries": 11, "gateway_log": 2, "messages": 5}
    left = {r["id"] for r in await Message.select(Message.id)}
    assert left == {waiting, fresh} and not left & set(done)
    states = sorted(r["state"] for r in await Delivery.select(Delivery.state))
    assert states == ["pending", "sent"]  # the old pending one and the recent one
    assert await GatewayLog.count() == 1
    assert await retention.prune(now, days=180) == {
        "deliveries": 0,
        "gateway_log": 0,
        "messages": 0,
    }
