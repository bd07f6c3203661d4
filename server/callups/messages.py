"""What call-ups hear from notify about their messages (server/notify/hooks.py): delivered
and opened are recorded on the target (never a confirmation); the notification's 收到 and a
text reply ("1", "收到") are confirmations."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from server.callups import answers, service, trail
from server.callups.kinds import Answer, Via
from server.callups.tables import Callup, CallupTarget
from server.i18n import N_, gettext
from server.notify import hooks


def callup_of(url: str) -> uuid.UUID | None:
    match = re.fullmatch(r"/callups/([0-9a-f-]{36})/answer", url)
    return uuid.UUID(match.group(1)) if match else None


async def _target_for(message: hooks.Seen) -> dict | None:
    callup_id = callup_of(message.url)
    return await service.target_of(message.recipient_id, callup_id) if callup_id else None


async def on_delivered(messages: list[hooks.Seen], at: datetime) -> None:
    """A channel accepted a call-up message: the target's delivered time (the first)."""
    touched: set[uuid.UUID] = set()
    pairs: dict[uuid.UUID, list[uuid.UUID]] = {}
    for m in messages:
        if callup_id := callup_of(m.url):
            pairs.setdefault(callup_id, []).append(m.recipient_id)
    for callup_id, people in pairs.items():
        for at_ in range(0, len(people), 500):
            done = (
                await CallupTarget.update({CallupTarget.delivered_at: at})
                .where(
                    (CallupTarget.callup_id == callup_id)
                    & CallupTarget.person_id.is_in(people[at_ : at_ + 500])
                    & CallupTarget.delivered_at.is_null()
                )
                .returning(CallupTarget.id)
            )
            if done:
                touched.add(callup_id)
    for callup_id in touched:
        await trail.touch(callup_id)


async def on_opened(message: hooks.Seen, at: datetime) -> None:
    """Opened (已读) is recorded, and is not a confirmation."""
    target = await _target_for(message)
    if target and target["opened_at"] is None:
        await CallupTarget.update({CallupTarget.opened_at: at}).where(
            CallupTarget.id == target["id"]
        )
        await trail.event(target["callup_id"], target["id"], "opened", message.recipient_id, {}, at)
        await trail.touch(target["callup_id"])


async def on_acted(message: hooks.Seen, action: str, at: datetime, author: Any) -> None:
    """收到 tapped on the notification (Android Chrome): a confirmation at the tap's
    trusted time (the message hook judged it already)."""
    target = await _target_for(message)
    if target is None or action != "ack":
        return
    called = target["called_at"] or at
    await answers.confirm(
        target,
        answers.Confirmation(
            answer=Answer.received,
            at=max(at, called),
            via=Via.notification,
            actor_id=message.recipient_id,
        ),
        set_answer=True,
    )


SMS_ANSWERS = (
    (re.compile(r"^\s*(1|收到|确认|ok)\b", re.IGNORECASE), Answer.received),
    (re.compile(r"^\s*(2|已?到岗)"), Answer.on_post),
)


async def on_inbound(person_id: uuid.UUID | None, mobile: str, text: str, at: datetime) -> str:
    """A text reply "1" / "收到" (or "2" / "到岗") confirms the person's latest open call-up."""
    if person_id is None:
        return ""
    answer = next((a for pattern, a in SMS_ANSWERS if pattern.search(text)), None)
    if answer is None:
        return ""
    rows = (
        await CallupTarget.select()
        .where(
            (CallupTarget.person_id == person_id)
            & CallupTarget.confirmed_at.is_null()
            & CallupTarget.callup_id.is_in(Callup.select(Callup.id).where(Callup.state == "sent"))
        )
        .order_by(CallupTarget.called_at, ascending=False)
        .limit(1)
    )
    if not rows:
        return ""
    await answers.confirm(
        rows[0],
        answers.Confirmation(answer=answer, at=at, via=Via.sms, actor_id=person_id),
        set_answer=True,
    )
    return gettext(N_("Confirmed: %(answer)s. Thank you."), answer=answer.label)


def install() -> None:
    """Tell notify what call-ups want to hear about their messages."""
    hooks.DELIVERED["callup"] = on_delivered
    hooks.OPENED["callup"] = on_opened
    hooks.ACTED["callup"] = on_acted
    if on_inbound not in hooks.INBOUND:
        hooks.INBOUND.append(on_inbound)
