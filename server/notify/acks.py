"""A notification's action (e.g. 收到) as a sync mutation: taken from the notification or a
page, online or queued offline, applied once, its time judged on what the server can trust.

Entity "message", op "act", fields {"action": "ack"}. The action's time is the phone's, but
never before the message was made nor after the server received it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from server.i18n import N_, gettext
from server.notify import hooks
from server.notify.policy import ACTIONS, MESSAGE_POLICY
from server.notify.tables import Message
from sync.batch import Batch
from sync.hlc import trusted_time
from sync.mutation import Mutation
from sync.store import Adapter, Author


class MessageAdapter(Adapter):
    policy = MESSAGE_POLICY

    async def load(self, record_id: uuid.UUID, *, batch: Batch) -> dict[str, Any] | None:
        row = await Message.select(Message.action).where(Message.id == record_id).first()
        return {"action": row["action"]} if row else None

    def clean(self, mutation: Mutation) -> dict[str, Any]:
        if mutation.op != "act" or set(mutation.fields) != {"action"}:
            raise ValueError(N_("This action is not known."))
        if mutation.fields["action"] not in ACTIONS:
            raise ValueError(N_("This action is not known."))
        return {"action": mutation.fields["action"]}

    async def refuse(
        self,
        author: Author,
        record_id: uuid.UUID,
        current: dict[str, Any] | None,
        mutation: Mutation,
        fields: dict[str, Any],
        *,
        batch: Batch,
    ) -> str:
        row = await Message.select(Message.recipient_id).where(Message.id == record_id).first()
        if row is None or row["recipient_id"] != author.person_id:
            return N_("This message is not yours.")
        return ""

    async def save(
        self,
        record_id: uuid.UUID,
        values: dict[str, Any],
        *,
        created: bool,
        author: Author,
        seq: int,
        mutation: Mutation,
        batch: Batch,
    ) -> None:
        row = await Message.select().where(Message.id == record_id).first()
        update: dict[Any, Any] = {Message.action: values["action"]}
        if row and row["acted_at"] is None:  # the first action's time is the one that counts
            at = trusted_time(mutation.phone_time, row["created_at"], datetime.now(UTC))
            update[Message.acted_at] = at
            await hooks.acted(row, values["action"], at, author)
        await Message.update(update).where(Message.id == record_id)

    async def record(self, *args: Any, batch: Batch) -> None:
        """The message row is its own trace (who, what, when)."""

    @staticmethod
    def labels() -> dict[str, str]:
        """What the pending page calls a queued answer."""
        return {
            "message": gettext(N_("Message")),
            "message.act": gettext(N_("Answer to a message")),
        }

    def locate(self, values: Mapping[str, Any]) -> tuple[str, uuid.UUID | None]:
        return "", None  # a person's own messages are not in anyone's area feed

    def url(self, record_id: uuid.UUID) -> str:
        return "/inbox"
