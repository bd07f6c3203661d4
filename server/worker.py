"""Background loops: periodic jobs run in the web process (embedded) or as `worker:`.

Domains add jobs to `jobs_for()` (delivery queue, escalations, deadline reminders). A job
that raises is logged and retried on its next turn; it never stops the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from server.settings import Settings, get_settings

log = logging.getLogger("gridwatch.worker")

TICK_SECONDS = 1.0


@dataclass
class Job:
    name: str
    every_seconds: float
    run: Callable[[], Awaitable[None]]
    next_at: float = 0.0
    failures: int = 0


def jobs_for(settings: Settings) -> list[Job]:
    """Every periodic job of every domain."""
    from server.auth.service import prune_attempts
    from server.callups import messages as callups
    from server.callups.escalation import escalate
    from server.callups.service import finish_sends
    from server.hazards.deadlines import chase
    from server.hazards.service import today_local
    from server.media.storage import MediaStore, media_blobs
    from server.notify import retention
    from server.notify.service import Drainer
    from server.ops import service as ops
    from server.patrols.windows import flag_missed
    from server.tipoffs.handling import settle

    async def chase_hazards() -> None:
        await chase(today_local(), settings.hazard_remind_days)

    async def patrols_missed() -> None:
        await flag_missed(datetime.now(UTC))

    async def tipoffs_settle() -> None:
        await settle()

    async def notify_prune() -> None:
        await retention.prune(datetime.now(UTC), settings.retention_days)

    async def media_expire() -> None:
        store = MediaStore(media_blobs(settings), settings.upload_quota)
        await asyncio.to_thread(store.expire)

    name = ops.worker_name()

    async def heartbeat() -> None:
        await ops.beat(name)

    callups.install()  # the drain tells call-ups what was delivered
    return [
        Job("ops.beat", ops.BEAT_SECONDS, heartbeat),
        Job("auth.prune_attempts", 15 * 60, prune_attempts),
        Job("callups.escalate", 5, escalate),
        Job("callups.finish_sends", 5, finish_sends),
        Job("hazards.chase", 10 * 60, chase_hazards),
        Job("patrols.missed", 10 * 60, patrols_missed),
        Job("tipoffs.settle", 5 * 60, tipoffs_settle),
        Job("notify.drain", 1, Drainer(settings)),
        Job("media.expire", 6 * 3600, media_expire),
        Job("notify.prune", 6 * 3600, notify_prune),
    ]


class Worker:
    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self.last_beat = 0.0

    def status(self) -> str:
        if not self.last_beat:
            return "starting"
        return "ok" if time.monotonic() - self.last_beat < 10 * TICK_SECONDS else "stalled"

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker started with %d jobs", len(self.jobs))
        while not stop.is_set():
            self.last_beat = time.monotonic()
            for job in self.jobs:
                if self.last_beat >= job.next_at:
                    await self._run_job(job)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=TICK_SECONDS)
        log.info("worker stopped")

    async def _run_job(self, job: Job) -> None:
        try:
            await job.run()
            job.failures = 0
            job.next_at = time.monotonic() + job.every_seconds
        except Exception:
            job.failures += 1
            # Back off a failing job (up to 5 minutes) so it cannot flood the log or the DB.
            delay = min(300.0, job.every_seconds * 2 ** min(job.failures, 8))
            job.next_at = time.monotonic() + delay
            log.exception(
                "job %s failed (%d in a row), next try in %.0fs", job.name, job.failures, delay
            )


async def run_standalone(settings: Settings) -> None:
    """The `worker:` process: its own database connection, stopped by SIGTERM or SIGINT."""
    from server.db import Database, activate

    database = Database(
        settings.database_url, pool=settings.database_pool, pool_size=settings.database_pool_size
    )
    activate(database)
    await database.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await Worker(jobs_for(settings)).run(stop)
    finally:
        await database.stop()


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level)
    run_fast(run_standalone(settings))


def run_fast(main: Any) -> Any:
    """uvloop where it is installed (Linux): the push fan-out is mostly event-loop work."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


if __name__ == "__main__":
    main()
