"""The durable delivery queue (DESIGN's "delivery outbox"; "outbox" alone is the phone's
queue of writes): messages become rows (one per channel x device); workers claim due rows,
send them, and record what the other side answered.

Claiming sets a lease (`claimed_until`) in one statement; on PostgreSQL the candidate rows
are locked with FOR UPDATE SKIP LOCKED, so concurrent workers never take the same row, and on
SQLite writers are serial anyway. A worker killed mid-send leaves its rows leased: when the
lease runs out another worker sends them (at least once; a push with the same topic replaces
the earlier one on the phone). Outcomes:

| answer              | the row                                          |
| ------------------- | ------------------------------------------------ |
| 2xx                 | sent                                             |
| 404, 410            | gone; the subscription is removed                |
| 400, 413, other 4xx | failed, with the reason (retrying cannot help)   |
| 429, 5xx, none      | pending again after Retry-After or a backoff     |
|                     | with jitter; failed after MAX_ATTEMPTS           |
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine

from server import db
from server.auth.service import live_sessions
from server.directory.service import mobiles_of
from server.i18n import N_
from server.notify import hooks, live
from server.notify.gateway import Gateway, LogGateway
from server.notify.tables import Delivery, DeliveryLadder, Message, PushSubscription
from server.notify.webpush import Answer, Push, PushSender
from sync.batch import insert_rows

log = logging.getLogger("gridwatch.notify")

MAX_ATTEMPTS = 10
#: not an HTTP status: the step was not needed any more
SKIPPED = -1
#: renewed while the pass runs: a dead worker's rows go to another this soon
LEASE_SECONDS = 10
BASE_DELAY = 5.0
MAX_DELAY = 3600.0


@dataclass(frozen=True)
class Step:
    """One rung of a delivery ladder: a channel, how long after the message, and whether it
    is skipped once the person has "opened" the message or "acted" on it by then."""

    channel: str
    after_seconds: int = 0
    unless: str = ""


#: call-ups: push now, a text if not opened in 2 minutes, a call if not confirmed in 5
URGENT = (Step("webpush"), Step("sms", 120, "opened"), Step("voice", 300, "acted"))
#: assignments and reminders: push now, a text if not opened within half an hour
ROUTINE = (Step("webpush"), Step("sms", 1800, "opened"))


@dataclass(frozen=True)
class Preset:
    """A way to reach a person: one ladder for urgent messages, one for routine ones."""

    label: str
    urgent: tuple[Step, ...]
    routine: tuple[Step, ...]


PRESETS = {
    "push_first": Preset(N_("Push first, then text, then call"), URGENT, ROUTINE),
    "sms_first": Preset(
        N_("Text first (no push on this phone)"),
        (Step("sms"), Step("voice", 120, "acted")),
        (Step("sms"),),
    ),
    "voice_first": Preset(
        N_("Call first (for those who do not read texts)"),
        (Step("voice"), Step("sms")),
        (Step("sms"),),
    ),
}
DEFAULT_PRESET = "push_first"


async def ladders_of(recipient_ids: Sequence[uuid.UUID], urgent: bool) -> dict[uuid.UUID, tuple]:
    """Each person's ladder for a message of this urgency (their preset, or the default)."""
    rows = await DeliveryLadder.select().where(DeliveryLadder.person_id.is_in(list(recipient_ids)))
    chosen = {r["person_id"]: r["preset"] for r in rows}
    return {
        p: _steps(PRESETS.get(chosen.get(p, DEFAULT_PRESET), PRESETS[DEFAULT_PRESET]), urgent)
        for p in recipient_ids
    }


def _steps(preset: Preset, urgent: bool) -> tuple[Step, ...]:
    return preset.urgent if urgent else preset.routine


@dataclass(frozen=True)
class Note:
    """What to tell a person."""

    kind: str
    title: str
    body: str = ""
    url: str = "/"
    urgency: str = "normal"
    ttl: int = 86400
    topic: str = ""
    actions: tuple[dict[str, str], ...] = ()


async def send_to(
    recipient_id: uuid.UUID, note: Note, ladder: Sequence[Step | str] | None = None
) -> uuid.UUID:
    """Queue `note` for a person on each step of `ladder` (web push: each of their devices);
    without one, the person's own ladder for the note's urgency."""
    if ladder is None:
        ladder = (await ladders_of([recipient_id], note.urgency == "high"))[recipient_id]
    steps = [Step(s) if isinstance(s, str) else s for s in ladder]
    database = db.current()
    message_id = uuid.uuid4()
    now = datetime.now(UTC)
    async with database.write():
        if note.topic:
            await _replace_topic([recipient_id], note.topic)
        await Message.insert(
            Message(
                id=message_id,
                kind=note.kind,
                recipient_id=recipient_id,
                title=note.title[:120],
                body=note.body[:500],
                url=note.url[:255],
                urgency=note.urgency,
                ttl=note.ttl,
                topic=note.topic[:32],
                actions=list(note.actions),
            )
        )
        rows = []
        for step in steps:
            common = {
                "message_id": message_id,
                "recipient_id": recipient_id,
                "channel": step.channel,
                "skip_if": step.unless,
                "next_at": now + timedelta(seconds=step.after_seconds),
            }
            if step.channel == "webpush":
                devices = await _live_subscriptions_of([recipient_id])
                rows += [
                    Delivery(**common, subscription_id=sub_id)
                    for sub_id in devices.get(recipient_id, [])
                ]
            else:
                rows.append(Delivery(**common))
        if rows:
            await Delivery.insert(*rows)
        db.after_commit(partial(live.publish, recipient_id, _live_payload(message_id, note)))
    return message_id


def _live_payload(message_id: uuid.UUID, note: Note) -> dict[str, Any]:
    return {
        "id": str(message_id),
        "kind": note.kind,
        "title": note.title,
        "body": note.body,
        "url": note.url,
    }


async def send_many(
    recipient_ids: Sequence[uuid.UUID], note: Note, ladder: Sequence[Step | str] | None = None
) -> int:
    """One note to many people (a call-up to a whole county): messages and deliveries are
    written in bulk, a thousand people per transaction; each person's own ladder unless one
    is given. Returns the deliveries queued."""
    given = [Step(s) if isinstance(s, str) else s for s in ladder] if ladder else None
    database = db.current()
    queued = 0
    for start in range(0, len(recipient_ids), 1000):
        chunk = list(dict.fromkeys(recipient_ids[start : start + 1000]))
        now = datetime.now(UTC)
        messages = {p: uuid.uuid4() for p in chunk}
        async with database.write():
            if note.topic:
                await _replace_topic(chunk, note.topic)
            await insert_rows(Message, [_message_row(i, p, note, now) for p, i in messages.items()])
            ladders = (
                dict.fromkeys(chunk, tuple(given))
                if given
                else await ladders_of(chunk, note.urgency == "high")
            )
            subs: dict[uuid.UUID, list[uuid.UUID]] = {}
            if any(s.channel == "webpush" for steps in ladders.values() for s in steps):
                subs = await _live_subscriptions_of(chunk)
            rows = []
            for recipient_id, message_id in messages.items():
                for step in ladders[recipient_id]:
                    common = {
                        "id": uuid.uuid4(),
                        "message_id": message_id,
                        "recipient_id": recipient_id,
                        "channel": step.channel,
                        "skip_if": step.unless,
                        "next_at": now + timedelta(seconds=step.after_seconds),
                        "created_at": now,
                    }
                    if step.channel == "webpush":
                        rows += [
                            {**common, "id": uuid.uuid4(), "subscription_id": sub}
                            for sub in subs.get(recipient_id, [])
                        ]
                    else:
                        rows.append(common)
            for at in range(0, len(rows), 1000):
                await insert_rows(Delivery, rows[at : at + 1000])
            queued += len(rows)
            for recipient_id, message_id in messages.items():
                db.after_commit(
                    partial(live.publish, recipient_id, _live_payload(message_id, note))
                )
    return queued


def _message_row(message_id: uuid.UUID, recipient_id: uuid.UUID, note: Note, now: datetime) -> dict:
    return {
        "id": message_id,
        "kind": note.kind,
        "recipient_id": recipient_id,
        "title": note.title[:120],
        "body": note.body[:500],
        "url": note.url[:255],
        "urgency": note.urgency,
        "ttl": note.ttl,
        "topic": note.topic[:32],
        "actions": list(note.actions),
        "created_at": now,
    }


async def _live_subscriptions_of(
    recipient_ids: list[uuid.UUID],
) -> dict[uuid.UUID, list[uuid.UUID]]:
    subs = await PushSubscription.select(
        PushSubscription.id, PushSubscription.recipient_id, PushSubscription.session_id
    ).where(PushSubscription.recipient_id.is_in(recipient_ids))
    alive = await live_sessions([s["session_id"] for s in subs if s["session_id"]])
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    for s in subs:
        if s["session_id"] is None or s["session_id"] in alive:
            found.setdefault(s["recipient_id"], []).append(s["id"])
    return found


async def _replace_topic(recipient_ids: list[uuid.UUID], topic: str) -> None:
    """Pending deliveries of these people's earlier messages with this topic are replaced.
    Two steps: as one UPDATE with a subquery, PostgreSQL scanned every pending delivery for
    each thousand people of a call-up (100,000 people: minutes)."""
    earlier = await Message.select(Message.id).where(
        Message.recipient_id.is_in(recipient_ids) & (Message.topic == topic)
    )
    ids = [r["id"] for r in earlier]
    for at in range(0, len(ids), 1000):
        await Delivery.update({Delivery.state: "replaced"}).where(
            (Delivery.state == "pending") & Delivery.message_id.is_in(ids[at : at + 1000])
        )


async def claim(limit: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """Take up to `limit` due rows for this worker (a lease of LEASE_SECONDS)."""
    now = now or datetime.now(UTC)
    lease = now + timedelta(seconds=LEASE_SECONDS)
    sql = CLAIM_SQLITE if isinstance(Delivery._meta.db, SQLiteEngine) else CLAIM_POSTGRES
    database = db.current()
    async with database.write():
        return await Delivery.raw(sql, lease, now, now, limit)


_CLAIM = """
    UPDATE delivery SET claimed_until = {}, attempts = attempts + 1
    WHERE id IN (
        SELECT id FROM delivery
        WHERE state = 'pending' AND next_at <= {}
          AND (claimed_until IS NULL OR claimed_until < {})
        ORDER BY next_at LIMIT {} %s)
    RETURNING id, message_id, recipient_id, channel, subscription_id, attempts, skip_if"""
#: SQLite writers are serial already; PostgreSQL workers skip rows another one holds
CLAIM_SQLITE = _CLAIM % ""
CLAIM_POSTGRES = _CLAIM % "FOR UPDATE SKIP LOCKED"


@dataclass
class Drained:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    gone: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


async def drain(
    sender: PushSender,
    limit: int = 500,
    now: datetime | None = None,
    gateway: Gateway | None = None,
) -> Drained:
    """One pass: claim due rows, send them all concurrently, record each outcome as it
    comes (every RECORD_EVERY seconds, a statement for the many sent). The lease of what is
    not yet recorded is renewed while the pass runs: a worker killed mid-pass loses those
    rows to another within LEASE_SECONDS, and only those in flight or heard in the last
    moment go twice. A pass cut off (the grace of a SIGTERM ran out) gives back what it had
    not recorded."""
    now = now or datetime.now(UTC)
    rows = await claim(limit, now)
    done = Drained()
    if not rows:
        return done
    record = _Recorder(rows, done, now)
    renewing = asyncio.create_task(_renew(record.open))
    try:
        await _send_and_record(sender, rows, record, gateway)
    except asyncio.CancelledError:
        await _release(list(record.open))
        raise
    finally:
        renewing.cancel()
    return done


#: how often a pass writes down the answers heard so far
RECORD_EVERY = 0.25


class _Recorder:
    """The answers of one pass, written down as they come: what a killed worker had sent
    and recorded is not sent again."""

    def __init__(self, rows: list[dict[str, Any]], done: Drained, now: datetime) -> None:
        self.rows, self.done, self.now = rows, done, now
        self.messages: dict[uuid.UUID, dict] = {}
        #: ids claimed and not yet recorded (the lease renewal keeps these only)
        self.open = {r["id"] for r in rows}
        self._heard: list[tuple[int, Answer]] = []
        self._writing = asyncio.Lock()

    def heard(self, i: int, answer: Answer) -> None:
        self._heard.append((i, answer))

    async def write(self) -> None:
        async with self._writing:
            taken, self._heard = self._heard, []
            if not taken:
                return
            rows = [self.rows[i] for i, _a in taken]
            try:
                await _record_all(rows, [a for _i, a in taken], self.done, self.now, self.messages)
            except BaseException:
                self._heard[:0] = taken  # not written: kept for the next try
                raise
            self.open.difference_update(r["id"] for r in rows)

    async def keep_writing(self, stop: asyncio.Event) -> None:
        """Every RECORD_EVERY seconds until `stop`; never cut off inside a write."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RECORD_EVERY)
            await self.write()


async def _renew(ids: set[uuid.UUID]) -> None:
    while True:
        await asyncio.sleep(LEASE_SECONDS / 3)
        lease = datetime.now(UTC) + timedelta(seconds=LEASE_SECONDS)
        if not ids:
            continue
        async with db.current().write():
            await Delivery.update({Delivery.claimed_until: lease}).where(
                Delivery.id.is_in(list(ids)) & (Delivery.state == "pending")
            )


async def _release(ids: list[uuid.UUID]) -> None:
    """Claims given back unsent; a push already on its way may go again (at most once more)."""
    if not ids:
        return
    async with db.current().write():
        await Delivery.update(
            {Delivery.claimed_until: None, Delivery.attempts: Delivery.attempts - 1}
        ).where(
            Delivery.id.is_in(ids)
            & (Delivery.state == "pending")
            & Delivery.claimed_until.is_not_null()
        )


async def _send_and_record(
    sender: PushSender,
    rows: list[dict[str, Any]],
    record: _Recorder,
    gateway: Gateway | None,
) -> None:
    messages = {
        m["id"]: m
        for m in await Message.select()
        .where(Message.id.is_in(list({r["message_id"] for r in rows})))
        .output(load_json=True)
    }
    record.messages = messages
    sub_ids = [r["subscription_id"] for r in rows if r["subscription_id"]]
    subs = (
        {
            s["id"]: s
            for s in await PushSubscription.select().where(PushSubscription.id.is_in(sub_ids))
        }
        if sub_ids
        else {}
    )
    people = [r["recipient_id"] for r in rows if r["channel"] != "webpush"]
    mobiles = await mobiles_of(people) if people else {}
    gateway = gateway or LogGateway()
    ready = [_prepare(r, messages.get(r["message_id"]), subs) for r in rows]
    for i, answer in enumerate(ready):
        if isinstance(answer, Answer):  # gone or skipped: nothing to send
            record.heard(i, answer)
    pushes = [(i, p) for i, p in enumerate(ready) if isinstance(p, Push)]
    others = [
        (i, r)
        for i, (r, p) in enumerate(zip(rows, ready, strict=True))
        if p is None  # texts and calls through the gateway
    ]

    async def call(i: int, row: dict) -> None:
        record.heard(i, await _call(gateway, row, messages[row["message_id"]], mobiles))

    stop = asyncio.Event()
    writing = asyncio.create_task(record.keep_writing(stop))
    try:
        await asyncio.gather(
            sender.send_all(
                [p for _i, p in pushes], lambda n, answer: record.heard(pushes[n][0], answer)
            ),
            *(call(i, r) for i, r in others),
        )
    finally:
        stop.set()
        await writing  # its last write takes what was heard up to here


async def drain_all(
    sender: PushSender,
    gateway: Gateway | None = None,
    lanes: int = 2,
    limit: int = 1000,
    going: Callable[[], bool] = lambda: True,
) -> int:
    """Drain until nothing is due (or `going` says stop). Several lanes overlap: while one
    sends its rows, another claims or records (the database and the network are both kept
    busy). Returns rows done."""
    total = 0

    async def lane() -> None:
        nonlocal total
        while going() and (done := await drain(sender, limit=limit, gateway=gateway)).statuses:
            total += sum(done.statuses.values())

    await asyncio.gather(*(lane() for _ in range(lanes)))
    return total


def _prepare(row: dict, message: dict | None, subs: dict[uuid.UUID, dict]) -> Answer | Push | None:
    """What a row needs: an answer already (gone, skipped), a push to send, or None for a
    text or call through the gateway."""
    if message is None:
        return Answer(410, error="message gone")
    if row["skip_if"] and message.get(f"{row['skip_if']}_at") is not None:
        return Answer(SKIPPED, error=f"the person had {row['skip_if']} it")
    if row["channel"] != "webpush":
        return None
    sub = subs.get(row["subscription_id"])
    if sub is None:
        return Answer(410, error="subscription removed")
    payload = json.dumps(
        {
            "id": str(message["id"]),
            "kind": message["kind"],
            "title": message["title"],
            "body": message["body"],
            "url": message["url"],
            "tag": message["topic"] or str(message["id"]),
            "actions": message["actions"],
        },
        ensure_ascii=False,
    ).encode()
    return Push(
        sub["endpoint"],
        sub["p256dh"],
        sub["auth"],
        payload,
        ttl=message["ttl"],
        urgency=message["urgency"],
        topic=message["topic"],
    )


async def _call(gateway: Gateway, row: dict, message: dict, mobiles: dict) -> Answer:
    text = f"{message['title']} {message['body']}".strip()
    return await gateway.send(
        row["channel"],
        row["recipient_id"],
        mobiles.get(row["recipient_id"], ""),
        text,
        message["id"],
    )


async def _record_all(
    rows: list[dict],
    answers: list[Answer],
    done: Drained,
    now: datetime,
    messages: dict[uuid.UUID, dict],
) -> None:
    """Write every outcome in one transaction; the many rows simply sent in one statement.
    The domains that sent the messages hear which were delivered (hooks.DELIVERED)."""
    accepted_at = datetime.now(UTC)
    sent: list[uuid.UUID] = []
    others: list[tuple[uuid.UUID, dict[Any, Any]]] = []
    gone: list[uuid.UUID] = []
    for row, answer in zip(rows, answers, strict=True):
        status = answer.status
        done.statuses[status] = done.statuses.get(status, 0) + 1
        if 200 <= status < 300:
            sent.append(row["id"])
            done.sent += 1
            continue
        values = _outcome(row, answer, done, now)
        if values.get(Delivery.state) == "gone" and row["subscription_id"]:
            gone.append(row["subscription_id"])
        others.append((row["id"], values))
    database = db.current()
    async with database.write():
        for at in range(0, len(sent), 500):
            await Delivery.update(
                {
                    Delivery.state: "sent",
                    Delivery.sent_at: accepted_at,
                    Delivery.last_status: 201,
                    Delivery.last_error: "",
                    Delivery.claimed_until: None,
                }
            ).where(Delivery.id.is_in(sent[at : at + 500]))
        for row_id, values in others:
            await Delivery.update(values).where(Delivery.id == row_id)
        if gone:
            await PushSubscription.delete().where(PushSubscription.id.is_in(gone))
        delivered = {r["message_id"] for r, a in zip(rows, answers, strict=True) if a.ok}
        await hooks.delivered([messages[m] for m in delivered if m in messages], accepted_at)


def _outcome(row: dict, answer: Answer, done: Drained, now: datetime) -> dict[Any, Any]:
    """What to write for an answer that is not a plain success."""
    status = answer.status
    values: dict[Any, Any] = {
        Delivery.last_status: status,
        Delivery.last_error: answer.error[:300],
        Delivery.claimed_until: None,
    }
    if status == SKIPPED:
        values[Delivery.state] = "skipped"
    elif status in (404, 410):
        values[Delivery.state] = "gone"
        done.gone += 1
    elif status == 429 or status >= 500 or status == 0:
        if row["attempts"] >= MAX_ATTEMPTS:
            values[Delivery.state] = "failed"
            done.failed += 1
        else:
            delay = retry_delay(row["attempts"], answer.retry_after)
            values[Delivery.next_at] = now + timedelta(seconds=delay)
            done.retried += 1
    else:
        values[Delivery.state] = "failed"
        done.failed += 1
    return values


def retry_delay(
    attempts: int, retry_after: float | None, rng: random.Random | None = None
) -> float:
    """Exponential backoff with full jitter; never sooner than the service asked."""
    ceiling = min(MAX_DELAY, BASE_DELAY * 2 ** max(0, attempts - 1))
    delay = (rng or random).uniform(ceiling / 2, ceiling)
    return max(delay, retry_after or 0.0)
