"""Readiness of a deployment (`/readyz`): the database answers and carries every migration,
a worker ran its loop lately, the photo store answers. Liveness (`/healthz`) asks less."""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from piccolo.apps.migrations.tables import Migration

from server.media.storage import MediaStore
from server.ops.tables import WorkerBeat
from server.settings import ROOT

#: a worker beats every few seconds; this long without one and nothing is sending call-ups
STALE_AFTER = timedelta(seconds=60)
#: a worker says it is alive this often (its loop may be busy for a moment in between)
BEAT_SECONDS = 10.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


async def beat(name: str) -> None:
    """This worker ran its loop now."""
    now = datetime.now(UTC)
    await WorkerBeat.insert(WorkerBeat(name=name, beat_at=now)).on_conflict(
        target=WorkerBeat.name, action="DO UPDATE", values=[WorkerBeat.beat_at]
    )


@dataclass
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(v == "ok" for v in self.checks.values())


def _migrations_on_disk() -> set[str]:
    """The ids of the migrations this build carries (`ID = "..."` in each file)."""
    found = set()
    for path in (ROOT / "migrations").glob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("ID = "):
                found.add(line.split("=", 1)[1].strip().strip("\"'"))
                break
    return found


async def readiness(media: MediaStore, now: datetime | None = None) -> Readiness:
    now = now or datetime.now(UTC)
    result = Readiness()
    try:
        applied = {r["name"] for r in await Migration.select(Migration.name)}
        behind = _migrations_on_disk() - applied
        result.checks["schema"] = "ok" if not behind else f"{len(behind)} migrations not applied"
    except Exception as exc:  # any driver error: not ready
        result.checks["schema"] = f"unavailable: {type(exc).__name__}"
        return result
    last = (
        await WorkerBeat.select(WorkerBeat.beat_at)
        .order_by(WorkerBeat.beat_at, ascending=False)
        .first()
    )
    if last is None:
        result.checks["worker"] = "no worker has run"
    else:
        at = last["beat_at"] if last["beat_at"].tzinfo else last["beat_at"].replace(tzinfo=UTC)
        age = now - at
        result.checks["worker"] = (
            "ok" if age <= STALE_AFTER else f"silent for {int(age.total_seconds())} s"
        )
    try:
        await asyncio.wait_for(asyncio.to_thread(media.exists, "0" * 64), timeout=5)
        result.checks["media"] = "ok"
    except Exception as exc:
        result.checks["media"] = f"unavailable: {type(exc).__name__}"
    return result
