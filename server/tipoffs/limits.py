"""Abuse limits on public tip-offs: how many a sender (by IP), a mobile number and everyone
together may send in a window, and the block list. Counted on the tip-offs themselves inside
the write that stores one, behind the tip-off lock: exact under any concurrency, and a
tip-off once accepted is never taken back."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.i18n import N_
from server.tipoffs.tables import BlockEntry, TipOff


@dataclass(frozen=True)
class Limits:
    """TIPOFF_LIMITS (its defaults are the settings')."""

    per_ip: int
    ip_window: timedelta
    per_mobile: int
    mobile_window: timedelta
    overall: int
    overall_window: timedelta


def limits_from(rules: tuple[tuple[str, int, int], ...]) -> Limits:
    """Limits from TIPOFF_LIMITS as settings parsed it: (who, count, seconds)."""
    by = {who: (count, timedelta(seconds=seconds)) for who, count, seconds in rules}
    return Limits(
        per_ip=by["ip"][0],
        ip_window=by["ip"][1],
        per_mobile=by["mobile"][0],
        mobile_window=by["mobile"][1],
        overall=by["all"][0],
        overall_window=by["all"][1],
    )


class Refused(Exception):
    """A tip-off not taken: the message (translated for the sender) and an HTTP status."""

    def __init__(self, message: str, status_code: int = 429) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


BUSY = N_(
    "Too many tip-offs have been sent from here just now. Nothing was saved: please try again "
    "in an hour, or call 12350."
)
MOBILE_BUSY = N_(
    "This mobile number has sent many tip-offs today. Nothing was saved: please try again "
    "tomorrow, or call 12350."
)
ALL_BUSY = N_(
    "The tip-off line is very busy. Nothing was saved: please try again in a few minutes, "
    "or call 12350."
)
BLOCKED = N_("Tip-offs from here cannot be accepted. For an emergency call 119 or 110.")


def ip_hash(secret: str, ip: str) -> str:
    """The sender's IP as a keyed hash: enough to count and block, not to find the person."""
    return hmac.new(secret.encode(), ip.encode(), hashlib.sha256).hexdigest()


BLOCK_KINDS = ("ip", "mobile", "word")


async def block(kind: str, value: str, reason: str, secret: str) -> None:
    """Block an IP (kept as its HMAC, like the tip-offs'), a mobile number or a word."""
    if kind not in BLOCK_KINDS or not value.strip():
        raise ValueError(f"block ip|mobile|word VALUE, not {kind} {value!r}")
    stored = ip_hash(secret, value.strip()) if kind == "ip" else value.strip()[:100]
    await BlockEntry.delete().where((BlockEntry.kind == kind) & (BlockEntry.value == stored))
    await BlockEntry.insert(BlockEntry(kind=kind, value=stored, reason=reason[:200]))


async def blocked() -> list[dict]:
    return await BlockEntry.select().order_by(BlockEntry.created_at, ascending=False)


async def unblock_entry(entry_id: uuid.UUID) -> None:
    await BlockEntry.delete().where(BlockEntry.id == entry_id)


async def unblock(kind: str, value: str, secret: str) -> int:
    stored = ip_hash(secret, value.strip()) if kind == "ip" else value.strip()
    where = (BlockEntry.kind == kind) & (BlockEntry.value == stored)
    found = await BlockEntry.count().where(where)
    await BlockEntry.delete().where(where)
    return found


async def check_blocked(ip_digest: str, mobile: str, text: str) -> None:
    sender = (BlockEntry.kind == "ip") & (BlockEntry.value == ip_digest)
    if mobile:
        sender = sender | ((BlockEntry.kind == "mobile") & (BlockEntry.value == mobile))
    words = await BlockEntry.select(BlockEntry.value).where(BlockEntry.kind == "word")
    if await BlockEntry.exists().where(sender) or any(
        w["value"] and w["value"] in text for w in words
    ):
        raise Refused(BLOCKED, 403)


async def check_rates(limits: Limits, ip_digest: str, mobile: str, now: datetime) -> None:
    """Call inside the write that stores the tip-off, after taking the tip-off lock."""
    if (
        ip_digest
        and await TipOff.count().where(
            (TipOff.ip_hash == ip_digest) & (TipOff.received_at > now - limits.ip_window)
        )
        >= limits.per_ip
    ):
        raise Refused(BUSY)
    if (
        mobile
        and await TipOff.count().where(
            (TipOff.mobile == mobile) & (TipOff.received_at > now - limits.mobile_window)
        )
        >= limits.per_mobile
    ):
        raise Refused(MOBILE_BUSY)
    if await TipOff.count().where(TipOff.received_at > now - limits.overall_window) >= (
        limits.overall
    ):
        raise Refused(ALL_BUSY)
