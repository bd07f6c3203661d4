"""What other domains want to hear about their messages, without notify importing them:
a call-up learns that its message was delivered, opened or acted on, or that a text reply
came in. Each hook runs inside the transaction that recorded the fact."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Seen:
    """A message something happened to: its id, kind, recipient and the URL it opens."""

    id: uuid.UUID
    kind: str
    recipient_id: uuid.UUID
    url: str


#: kind -> called with the messages a channel accepted (delivered), and when
Delivered = Callable[[list[Seen], datetime], Awaitable[None]]
#: kind -> called when the person opened the message (已读)
Opened = Callable[[Seen, datetime], Awaitable[None]]
#: kind -> called when the person took an action (e.g. 收到) with its trusted time; `author`
#: is the sync author (the person, with their current posts)
Acted = Callable[[Seen, str, datetime, Any], Awaitable[None]]
#: called with (person id or None, mobile, text, received at); True when it was understood
Inbound = Callable[[uuid.UUID | None, str, str, datetime], Awaitable[str]]

DELIVERED: dict[str, Delivered] = {}
OPENED: dict[str, Opened] = {}
ACTED: dict[str, Acted] = {}
INBOUND: list[Inbound] = []


def seen(row: dict[str, Any]) -> Seen:
    return Seen(row["id"], row["kind"], row["recipient_id"], row["url"])


async def delivered(rows: list[dict[str, Any]], at: datetime) -> None:
    by_kind: dict[str, list[Seen]] = {}
    for row in rows:
        if row["kind"] in DELIVERED:
            by_kind.setdefault(row["kind"], []).append(seen(row))
    for kind, messages in by_kind.items():
        await DELIVERED[kind](messages, at)


async def opened(row: dict[str, Any], at: datetime) -> None:
    if hook := OPENED.get(row["kind"]):
        await hook(seen(row), at)


async def acted(row: dict[str, Any], action: str, at: datetime, author: Any) -> None:
    if hook := ACTED.get(row["kind"]):
        await hook(seen(row), action, at, author)


async def inbound(person_id: uuid.UUID | None, mobile: str, text: str, at: datetime) -> str:
    """The first hook's answer to a reply (what to text back), or "" if none understood."""
    for hook in INBOUND:
        if answer := await hook(person_id, mobile, text, at):
            return answer
    return ""
