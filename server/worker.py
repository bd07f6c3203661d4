"""Background loops: periodic jobs run in the web process (embedded) or as `worker:`.

Domains add jobs to `jobs_for()`. Jobs run in lanes, each lane its own loop, so that a slow
job cannot delay a call-up: `delivery` sends what is due, `callups` escalates and finishes
sends (and beats, so /readyz knows call-ups are being handled), `routine` runs everything
else (deadlines, patrols, retention). A job that raises is logged and retried on its next
turn; it never stops the others.

Stopping (SIGTERM): no lane starts another job; what is running gets `grace_seconds` to
finish (a delivery pass sends what it claimed, or gives its claims back when cut off);
then the rest is cancelled, its transactions roll back, and the senders close.
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

from server import wake
from server.settings import Settings, get_settings

log = logging.getLogger("gridwatch.worker")

TICK_SECONDS = 1.0
#: the lane whose loop proves call-ups are handled (embedded /healthz)
CALLUPS = "callups"
DELIVERY = "delivery"
ROUTINE = "routine"


@dataclass
class Job:
    name: str
    every_seconds: float
    run: Callable[[], Awaitable[Any]]
    lane: str = ROUTINE
    #: asked to stop taking new work (its current pass may finish)
    stop: Callable[[], None] | None = None
    #: run once after the lanes ended (connections, helper processes)
    close: Callable[[], Awaitable[None]] | None = None
    next_at: float = 0.0
    failures: int = 0


def jobs_for(settings: Settings) -> list[Job]:
    """Every periodic job of every domain."""
    from server.auth.service import prune_attempts
    from server.callups import feeds
    from server.callups import messages as callups
    from server.callups.escalation import escalate
    from server.callups.service import finish_sends
    from server.evacuation.escalation import escalate as evacuation_escalate
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

    async def poll_feeds() -> None:
        await feeds.poll(settings.cap_feeds)

    name = ops.worker_name()

    async def heartbeat() -> None:
        await ops.beat(name)

    callups.install()  # the drain tells call-ups what was delivered
    drainer = Drainer(settings)
    return [
        Job("ops.beat", ops.BEAT_SECONDS, heartbeat, CALLUPS),
        Job("callups.finish_sends", 1, finish_sends, CALLUPS),
        Job("callups.escalate", 5, escalate, CALLUPS),
        Job("evacuation.escalate", 5, evacuation_escalate, CALLUPS),
        Job("notify.drain", 1, drainer, DELIVERY, stop=drainer.stop, close=drainer.close),
        Job("auth.prune_attempts", 15 * 60, prune_attempts),
        Job("hazards.chase", 10 * 60, chase_hazards),
        Job("patrols.missed", 10 * 60, patrols_missed),
        Job("tipoffs.settle", 5 * 60, tipoffs_settle),
        Job("media.expire", 6 * 3600, media_expire),
        Job("notify.prune", 6 * 3600, notify_prune),
        *(
            [Job("callups.feeds", settings.cap_feed_seconds, poll_feeds)]
            if settings.cap_feeds
            else []
        ),
    ]


class Worker:
    def __init__(self, jobs: list[Job], grace_seconds: float = 10.0) -> None:
        self.jobs = jobs
        self.grace_seconds = grace_seconds
        self.ticks: dict[str, float] = {}

    def status(self) -> str:
        beat = self.ticks.get(CALLUPS)
        if beat is None:
            return "starting"
        return "ok" if time.monotonic() - beat < 10 * TICK_SECONDS else "stalled"

    async def run(self, stop: asyncio.Event) -> None:
        lanes: dict[str, list[Job]] = {}
        for job in self.jobs:
            lanes.setdefault(job.lane, []).append(job)
        log.info("worker started: %d jobs in %d lanes", len(self.jobs), len(lanes))
        tasks = [
            asyncio.create_task(self._lane(name, jobs, stop), name=f"gridwatch-{name}")
            for name, jobs in lanes.items()
        ]
        try:
            await stop.wait()
        finally:
            for job in self.jobs:
                if job.stop is not None:
                    job.stop()
            for lane in lanes:
                wake.soon(lane)  # a lane waiting for its tick ends at once
            _done, late = await asyncio.wait(tasks, timeout=self.grace_seconds)
            for task in late:
                log.warning(
                    "%s still busy after %.0fs: cancelled", task.get_name(), self.grace_seconds
                )
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for job in self.jobs:
                if job.close is not None:
                    with contextlib.suppress(Exception):
                        await job.close()
            wake.forget()
            log.info("worker stopped")

    async def _lane(self, name: str, jobs: list[Job], stop: asyncio.Event) -> None:
        woken = wake.event(name)
        while not stop.is_set():
            now = self.ticks[name] = time.monotonic()
            asked = woken.is_set()
            woken.clear()
            for job in jobs:
                if stop.is_set():
                    return
                if asked or now >= job.next_at:
                    await self._run_job(job)
            if not woken.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), timeout=TICK_SECONDS)

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
    """The `worker:` process: its own database connection and live-notice channels, stopped
    by SIGTERM or SIGINT within the grace."""
    from server.db import Database, activate
    from server.notify import live

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
        async with live.plugin_for(settings):  # notices the worker makes reach open pages
            await Worker(jobs_for(settings), settings.shutdown_grace_seconds).run(stop)
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
