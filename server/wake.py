"""Wake a worker lane in this process now instead of at its next tick: a call-up just sent
should not wait out a polling interval before its first push. Other processes' workers find
the same work on their next tick (a second at most)."""

from __future__ import annotations

import asyncio

_events: dict[str, asyncio.Event] = {}


def event(lane: str) -> asyncio.Event:
    """The lane's event (made on first use, in the running loop's thread)."""
    found = _events.get(lane)
    if found is None:
        found = _events[lane] = asyncio.Event()
    return found


def soon(lane: str) -> None:
    """Ask the lane to run its jobs now; a no-op where no worker runs in this process."""
    found = _events.get(lane)
    if found is not None:
        found.set()


def forget() -> None:
    """A worker stopped: its events belong to a loop that is gone (tests start many)."""
    _events.clear()
