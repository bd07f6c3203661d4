"""Hybrid logical clocks: causality across phones whose wall clocks are wrong.

An HLC is (wall milliseconds, counter, node). Its string form sorts like the clock itself,
so it can be stored and compared as text. The server's change `seq` orders everything; the
HLC only decides which of two concurrent writes to the same field is the later one, and
carries the phone's idea of time for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

#: an HLC further ahead of the server than this is clamped (and the skew recorded)
MAX_AHEAD_MS = 5 * 60 * 1000
_COUNTER_MAX = 99_999


@dataclass(frozen=True, order=True)
class HLC:
    wall: int
    counter: int = 0
    node: str = ""

    def __str__(self) -> str:
        return f"{self.wall:013d}-{self.counter:05d}-{self.node}"

    @classmethod
    def parse(cls, text: str) -> HLC:
        """Parse the string form; raises ValueError on anything else."""
        wall, counter, node = text.split("-", 2)
        if len(wall) != 13 or len(counter) != 5 or not (wall.isdigit() and counter.isdigit()):
            raise ValueError(f"not an HLC: {text!r}")
        if not node or len(node) > 64:
            raise ValueError(f"HLC node must be 1-64 characters: {text!r}")
        return cls(int(wall), int(counter), node)


def tick(local: HLC, now_ms: int) -> HLC:
    """The clock for a new local event (send)."""
    if now_ms > local.wall:
        return HLC(now_ms, 0, local.node)
    return _bump(local.wall, local.counter, local.node)


def receive(local: HLC, remote: HLC, now_ms: int) -> HLC:
    """The clock after seeing a remote clock: later than both, and than now."""
    wall = max(local.wall, remote.wall, now_ms)
    if wall == local.wall == remote.wall:
        return _bump(wall, max(local.counter, remote.counter), local.node)
    if wall == local.wall:
        return _bump(wall, local.counter, local.node)
    if wall == remote.wall:
        return _bump(wall, remote.counter, local.node)
    return HLC(wall, 0, local.node)


def clamp(remote: HLC, server_now_ms: int, max_ahead_ms: int = MAX_AHEAD_MS) -> tuple[HLC, int]:
    """A phone clock far in the future would win every later-writer contest: pull it back to
    the server's time. Returns the clock to use and the skew removed (0 when none)."""
    ahead = remote.wall - server_now_ms
    if ahead <= max_ahead_ms:
        return remote, 0
    return HLC(server_now_ms, remote.counter, remote.node), ahead


def _bump(wall: int, counter: int, node: str) -> HLC:
    if counter >= _COUNTER_MAX:  # a burst beyond the counter moves the wall forward by 1 ms
        return HLC(wall + 1, 0, node)
    return HLC(wall, counter + 1, node)


def trusted_time(phone_ms: int | None, earliest: datetime, latest: datetime) -> datetime:
    """The phone's wall clock, believed only between `earliest` and `latest` (e.g. "not
    before the call-up was issued" and "not after the server received it"): a phone clock
    that is wrong cannot move an event outside what can be true."""
    if not phone_ms:
        return latest
    try:
        phone = datetime.fromtimestamp(phone_ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return latest
    return min(max(phone, earliest), latest)
