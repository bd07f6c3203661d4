"""The delivery outbox against a real push service on 127.0.0.1 (tests/pushservice.py):
the payload decrypts, the headers are right, and each answer is handled as RFC 8030 says;
two workers draining at once never send a row twice."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from server.directory.service import person_by_mobile
from server.notify import deliveries
from server.notify.deliveries import Note, drain, send_to
from server.notify.tables import Delivery, GatewayLog, PushSubscription
from server.notify.vapid import Signer, ensure_keys, public_key
from server.notify.webpush import Push, PushSender
from tests.pushservice import HOSTS, PushService, b64

pytestmark = pytest.mark.db

#: push only: these tests are about the push outbox, not the person's ladder
PUSH = ("webpush",)
CALLUP = Note(
    kind="callup",
    title="防汛叫应：红色预警",
    body="请立即确认",
    url="/callups/1",
    urgency="high",
    ttl=600,
    topic="callup-1",
    actions=({"action": "ack", "title": "收到"},),
)


@pytest.fixture
async def service(tmp_path):
    vapid = ensure_keys(tmp_path / "vapid.pem")
    push = PushService(public_key(vapid))
    await push.start()
    sender = PushSender(Signer(vapid, "mailto:ops@localhost"), timeout_seconds=1.0, hosts=HOSTS)
    yield push, sender
    await sender.close()
    await push.stop()


@pytest.fixture
async def person(demo):
    found = await person_by_mobile("13900000007")
    assert found is not None
    return found.id


async def subscribe(push: PushService, person_id, name: str) -> None:
    sub = push.subscribe(name)
    await PushSubscription.insert(
        PushSubscription(
            recipient_id=person_id,
            endpoint=push.endpoint(name),
            p256dh=sub.p256dh,
            auth=b64(sub.auth),
        )
    )


async def states() -> list[str]:
    return sorted(r["state"] for r in await Delivery.select(Delivery.state))


async def test_a_push_arrives_decrypted_with_its_headers(service, person) -> None:
    push, sender = service
    await subscribe(push, person, "phone")
    await subscribe(push, person, "tablet")  # every device of the person
    await send_to(person, CALLUP, ladder=("webpush", "sms"))
    done = await drain(sender)
    assert done.sent == 3 and push.rejected == []
    for name in ("phone", "tablet"):
        [got] = push.subscribers[name].received
        assert got["payload"]["title"] == "防汛叫应：红色预警"
        assert got["payload"]["actions"] == [{"action": "ack", "title": "收到"}]
        assert got["payload"]["url"] == "/callups/1"
        assert (got["ttl"], got["urgency"], got["topic"]) == ("600", "high", "callup-1")
    assert await states() == ["sent", "sent", "sent"]
    [logged] = await GatewayLog.select()
    assert logged["channel"] == "sms" and "防汛叫应" in logged["text"]
    assert logged["mobile"] == "13900000007"  # the log gateway keeps what it would have sent
    assert (await drain(sender)).sent == 0  # nothing twice


@pytest.mark.parametrize(
    ("script", "state", "subscription_kept"),
    [
        ([404], "gone", False),
        ([410], "gone", False),
        ([413], "failed", True),
        ([400], "failed", True),
    ],
)
async def test_final_answers(service, person, script, state, subscription_kept) -> None:
    push, sender = service
    await subscribe(push, person, "phone")
    push.subscribers["phone"].script.extend(script)
    await send_to(person, CALLUP, PUSH)
    await drain(sender)
    assert await states() == [state]
    [row] = await Delivery.select()
    assert row["last_status"] == script[0] and row["last_error"]
    assert bool(await PushSubscription.count()) is subscription_kept


async def test_retry_after_and_backoff_then_sent(service, person) -> None:
    push, sender = service
    await subscribe(push, person, "phone")
    push.subscribers["phone"].script.extend([(429, 30), 500, ("delay", 3)])
    await send_to(person, CALLUP, PUSH)
    start = datetime.now(UTC)

    assert (await drain(sender)).retried == 1  # 429: not before Retry-After
    [row] = await Delivery.select()
    assert row["state"] == "pending" and row["next_at"] >= start + timedelta(seconds=30)
    assert (await drain(sender)).retried == 0  # not due yet

    later = start + timedelta(seconds=31)
    assert (await drain(sender, now=later)).retried == 1  # 500: backoff with jitter
    [row] = await Delivery.select()
    assert later < row["next_at"] <= later + timedelta(seconds=deliveries.BASE_DELAY * 2 + 1)

    much_later = later + timedelta(hours=1)
    timed_out = await drain(sender, now=much_later)  # the service is too slow: a timeout
    assert timed_out.retried == 1 and timed_out.statuses == {0: 1}
    assert (await drain(sender, now=much_later + timedelta(hours=2))).sent == 1
    assert await states() == ["sent"]
    assert len(push.subscribers["phone"].received) == 4


async def test_gives_up_after_max_attempts(service, person) -> None:
    push, sender = service
    await subscribe(push, person, "phone")
    push.subscribers["phone"].script.extend([503] * deliveries.MAX_ATTEMPTS)
    await send_to(person, CALLUP, PUSH)
    moment = datetime.now(UTC)
    for _ in range(deliveries.MAX_ATTEMPTS):
        moment += timedelta(hours=2)
        await drain(sender, now=moment)
    assert await states() == ["failed"]


async def test_a_newer_message_of_the_same_topic_replaces_a_pending_one(service, person) -> None:
    push, sender = service
    await subscribe(push, person, "phone")
    await send_to(person, CALLUP, PUSH)
    await send_to(person, CALLUP, PUSH)
    await drain(sender)
    assert await states() == ["replaced", "sent"]
    assert len(push.subscribers["phone"].received) == 1


async def test_two_workers_never_send_a_row_twice(service, person) -> None:
    push, sender = service
    subs = [f"p{n}" for n in range(40)]
    for name in subs:
        await subscribe(push, person, name)
    for n in range(5):
        await send_to(person, Note(kind="t", title=f"消息{n}"), PUSH)  # 5 x 40 = 200 rows
    other = PushSender(sender.signer, timeout_seconds=5, hosts=HOSTS)
    try:
        results = await asyncio.gather(*(drain(s, limit=30) for s in [sender, other] * 5))
    finally:
        await other.close()
    while (await drain(sender)).sent:
        pass
    assert sum(r.sent for r in results) <= 200
    received = [len(push.subscribers[name].received) for name in subs]
    assert received == [5] * 40  # each row exactly once
    assert await states() == ["sent"] * 200


async def test_rows_of_a_worker_that_died_are_sent_after_its_lease(service, person) -> None:
    push, sender = service
    await subscribe(push, person, "phone")
    await send_to(person, CALLUP, PUSH)
    taken = await deliveries.claim(10)  # a worker takes the row, then is killed before sending
    assert len(taken) == 1
    assert (await drain(sender)).sent == 0  # still leased to the dead worker
    after = datetime.now(UTC) + timedelta(seconds=deliveries.LEASE_SECONDS + 1)
    assert (await drain(sender, now=after)).sent == 1
    assert len(push.subscribers["phone"].received) == 1


async def test_encryption_in_a_helper_process_reaches_every_phone(service, tmp_path) -> None:
    """A sender with a helper process encrypts in chunks there: each phone still decrypts
    its own message (the push service checks the VAPID JWT and decrypts every one)."""
    push, sender = service
    helped = PushSender(sender.signer, timeout_seconds=5, processes=1, hosts=HOSTS)
    names = [f"p{n}" for n in range(250)]
    pushes = []
    for name in names:
        sub = push.subscribe(name)
        body = json.dumps({"id": name, "title": "叫应"}, ensure_ascii=False).encode()
        pushes.append(Push(push.endpoint(name), sub.p256dh, b64(sub.auth), body, 600, "high"))
    broken = Push(push.endpoint(names[0]), "AAAA" * 22, "BBBBBBBBBBBBBBBBBBBBBA", b"{}", 60, "high")
    try:
        answers = await helped.send_all([*pushes, broken])
    finally:
        await helped.close()
    assert [a.status for a in answers[:-1]] == [201] * len(names)
    assert answers[-1].status == 400 and "cannot encrypt" in answers[-1].error
    assert push.rejected == []
    for name in names:
        [got] = push.subscribers[name].received
        assert got["payload"] == {"id": name, "title": "叫应"} and got["urgency"] == "high"
