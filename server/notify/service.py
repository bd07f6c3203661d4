"""Subscriptions per device session, the public key pages need, and the worker's drain."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from py_vapid import Vapid02

from server import db
from server.audit.service import record_event
from server.auth.service import Viewer
from server.directory import service as directory
from server.errors import DomainError
from server.i18n import N_
from server.notify import deliveries, endpoints, hooks
from server.notify.gateway import Gateway, LogGateway, WebhookGateway
from server.notify.tables import DeliveryLadder, GatewayLog, Message, PushSubscription
from server.notify.vapid import Signer, ensure_keys, public_key
from server.notify.webpush import PushSender
from server.settings import Settings


@lru_cache(maxsize=4)
def keys_for(path: str) -> Vapid02:
    """The key pair at `path`, made on first use if missing (kept outside the repository)."""
    return ensure_keys(Path(path))


def application_server_key(settings: Settings) -> str:
    return public_key(keys_for(str(settings.vapid_private_key_path)))


@dataclass(frozen=True)
class NewSubscription:
    endpoint: str
    p256dh: str
    auth: str


async def subscribe(
    viewer: Viewer, sub: NewSubscription, hosts: tuple[str, ...], user_agent: str = ""
) -> None:
    """Keep this device's push endpoint (a re-subscription replaces the old row)."""
    await keep_subscription(viewer.person_id, viewer.session_id, sub, hosts, user_agent)


async def keep_subscription(
    recipient_id: uuid.UUID,
    session_id: uuid.UUID | None,
    sub: NewSubscription,
    hosts: tuple[str, ...],
    user_agent: str = "",
) -> None:
    """A browser's endpoint for a recipient: a person's device session, or someone with no
    account known by another id (a tip-off's reporter, by the tip-off's). An endpoint goes
    to whoever subscribed it last; only on a push service of `hosts` (PUSH_HOSTS)."""
    if not endpoints.allowed(sub.endpoint, hosts):
        raise DomainError(N_("This push subscription cannot be used."))
    if not (20 <= len(sub.p256dh) <= 120 and 10 <= len(sub.auth) <= 40):
        raise DomainError(N_("This push subscription cannot be used."))
    database = db.current()
    async with database.write():
        same = PushSubscription.endpoint == sub.endpoint
        if session_id is not None:
            same = same | (PushSubscription.session_id == session_id)
        await PushSubscription.delete().where(same)
        await PushSubscription.insert(
            PushSubscription(
                recipient_id=recipient_id,
                session_id=session_id,
                endpoint=sub.endpoint[:2000],
                p256dh=sub.p256dh,
                auth=sub.auth,
                user_agent=user_agent[:200],
            )
        )


async def unsubscribe(viewer: Viewer) -> None:
    database = db.current()
    async with database.write():
        await PushSubscription.delete().where(PushSubscription.session_id == viewer.session_id)


async def subscribed(viewer: Viewer) -> bool:
    return bool(
        await PushSubscription.count().where(PushSubscription.session_id == viewer.session_id)
    )


async def with_push(recipient_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of these recipients with a push subscription (a resident's tip-off or a person)."""
    rows = await PushSubscription.select(PushSubscription.recipient_id).where(
        PushSubscription.recipient_id.is_in(list(set(recipient_ids)) or [None])
    )
    return {r["recipient_id"] for r in rows}


def gateway_for(settings: Settings) -> Gateway:
    if settings.sms_webhook_url:
        return WebhookGateway(settings.sms_webhook_url, settings.sms_webhook_secret)
    return LogGateway()


class Drainer:
    """The worker's job: one sender (one HTTP session) for the process's life."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sender: PushSender | None = None
        self.gateway = gateway_for(settings)
        self.stopping = False

    def stop(self) -> None:
        """SIGTERM: claim nothing more; the pass under way sends what it holds."""
        self.stopping = True

    async def close(self) -> None:
        if self.sender is not None:
            await self.sender.close()

    async def __call__(self) -> None:
        if self.sender is None:
            vapid = keys_for(str(self.settings.vapid_private_key_path))
            # a helper process encrypts while this one sends, where there is a second core
            helpers = 1 if (os.cpu_count() or 1) > 1 else 0
            self.sender = PushSender(
                Signer(vapid, self.settings.vapid_subject),
                processes=helpers,
                hosts=self.settings.push_hosts,
            )
        # keep going while there is work (a call-up of 100,000 is many passes)
        await deliveries.drain_all(
            self.sender, gateway=self.gateway, going=lambda: not self.stopping
        )


_SEEN = (Message.id, Message.kind, Message.recipient_id, Message.url)


async def opened_page(person_id: uuid.UUID, url: str) -> None:
    """Opening the page a message points to counts as opening the message (已读). A page
    view is a read: it writes (in a write transaction) only when there is something to mark."""
    unopened = (
        (Message.recipient_id == person_id) & (Message.url == url) & Message.opened_at.is_null()
    )
    rows = await Message.select(*_SEEN).where(unopened)
    if rows:
        await _mark_opened(rows)


async def mark_opened(viewer: Viewer, message_id: uuid.UUID) -> bool:
    """The service worker says a notification was opened (已读); only the first time counts,
    and a message of someone else is not found."""
    rows = await Message.select(*_SEEN).where(
        (Message.id == message_id)
        & (Message.recipient_id == viewer.person_id)
        & Message.opened_at.is_null()
    )
    if rows:
        await _mark_opened(rows)
    return bool(rows)


async def _mark_opened(rows: list[dict]) -> None:
    now = datetime.now(UTC)
    async with db.current().write():
        await Message.update({Message.opened_at: now}).where(
            Message.id.is_in([r["id"] for r in rows]) & Message.opened_at.is_null()
        )
        for row in rows:
            await hooks.opened(row, now)


async def inbound(mobile: str, text: str) -> str:
    """A reply that came in through the gateway: kept, and given to whoever waits for one
    (a call-up takes "1" or "收到"). Returns what to text back, if anything."""
    person = await directory.person_by_mobile(mobile)
    now = datetime.now(UTC)
    async with db.current().write():
        await GatewayLog.insert(
            GatewayLog(
                channel="inbound",
                person_id=person.id if person else None,
                mobile=mobile[:20],
                text=text[:600],
            )
        )
        return await hooks.inbound(person.id if person else None, mobile, text, now)


async def waiting_actions(viewer: Viewer, limit: int = 20) -> list[dict]:
    """Messages with an action (收到) the person has not taken yet, newest first: where a
    notification cannot carry buttons (iPhone), the page offers them one tap away."""
    rows = (
        await Message.select(
            Message.id, Message.title, Message.body, Message.actions, Message.created_at
        )
        .where((Message.recipient_id == viewer.person_id) & Message.acted_at.is_null())
        .order_by(Message.created_at, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
    return [r for r in rows if r["actions"]]


async def preset_of(person_id: uuid.UUID) -> str:
    row = await DeliveryLadder.select().where(DeliveryLadder.person_id == person_id).first()
    return row["preset"] if row else deliveries.DEFAULT_PRESET


async def set_preset(actor: Viewer, person_id: uuid.UUID, preset: str) -> None:
    if preset not in deliveries.PRESETS:
        raise DomainError(N_("Choose how this person is reached."))
    database = db.current()
    async with database.write():
        await DeliveryLadder.delete().where(DeliveryLadder.person_id == person_id)
        await DeliveryLadder.insert(DeliveryLadder(person_id=person_id, preset=preset))
        await record_event(
            "notify.ladder",
            entity="person",
            record_id=str(person_id),
            actor_id=actor.person_id,
            detail={"preset": preset},
        )
