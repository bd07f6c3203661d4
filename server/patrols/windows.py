"""A plan's windows (a local day; half days in flood season's twice-daily plans; a week),
and the worker's job that flags the checkpoints nobody checked in at once a window ends."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from server import db
from server.auth.service import Viewer
from server.directory.kinds import PostKind
from server.directory.service import holders_over
from server.i18n import N_, gettext
from server.localtime import ZONE
from server.notify.deliveries import Note, send_to
from server.patrols.service import Coverage, assignees_of, coverage, plans_for
from server.patrols.tables import PatrolMiss, PatrolPlan

LENGTHS = {
    "daily": timedelta(days=1),
    "twice_daily": timedelta(hours=12),
    "weekly": timedelta(days=7),
}


def last_window(
    schedule: str, now: datetime, zone: ZoneInfo = ZONE
) -> tuple[datetime, datetime] | None:
    """The most recent window of this schedule that has ended by `now` (local time decides
    where days and weeks begin); None for plans walked on demand (during a warning)."""
    length = LENGTHS.get(schedule)
    if length is None:
        return None
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if schedule == "weekly":
        end = midnight - timedelta(days=local.weekday())  # Monday 00:00
    elif schedule == "twice_daily":
        end = midnight + timedelta(hours=12) if local.hour >= 12 else midnight
    else:
        end = midnight
    return end - length, end


def current_window(
    schedule: str, now: datetime, zone: ZoneInfo = ZONE
) -> tuple[datetime, datetime]:
    """The window under way (from its start to now); on-demand plans: the last day."""
    last = last_window(schedule, now, zone)
    return (last[1], now) if last else (now - timedelta(days=1), now)


async def with_coverage(plans: list[dict], now: datetime) -> list[tuple[dict, Coverage]]:
    """Each plan with what is checked in its window under way (lists of plans)."""
    found = []
    for plan in plans:
        found.append((plan, await coverage(plan["id"], *current_window(plan["schedule"], now))))
    return found


async def todays(viewer: Viewer, now: datetime) -> list[tuple[dict, Coverage]]:
    """The plans this person walks, each with what is checked in its window under way."""
    mine = [p for p in await plans_for(viewer) if viewer.person_id in assignees_of(p)]
    return await with_coverage(mine, now)


async def missed_since(viewer: Viewer, since: datetime) -> int:
    """Checkpoints missed (nobody checked in within a window) since `since`, on the plans in
    the viewer's areas."""
    where = PatrolPlan.active.eq(True)
    scope = viewer.scope.where(PatrolPlan.area_path)
    if scope is not None:
        where = where & scope
    return await PatrolMiss.count().where(
        PatrolMiss.plan_id.is_in(PatrolPlan.select(PatrolPlan.id).where(where))
        & (PatrolMiss.window_end >= since)
    )


async def flag_missed(now: datetime, zone: ZoneInfo = ZONE) -> int:
    """For each active plan whose last window has ended: record its missed checkpoints once
    and tell the station over the plan's area and the assignees. Returns misses recorded."""
    recorded = 0
    for plan in await PatrolPlan.select().where(PatrolPlan.active.eq(True)):
        window = last_window(plan["schedule"], now, zone)
        if window is None or window[0] < plan["created_at"]:
            continue  # on demand, or the plan did not exist for the whole window
        recorded += await _flag(plan, *window)
    return recorded


async def _flag(plan: dict, start: datetime, end: datetime) -> int:
    database = db.current()
    async with database.write():
        await database.serialize("patrol_miss")
        known = await PatrolMiss.exists().where(
            (PatrolMiss.plan_id == plan["id"]) & (PatrolMiss.window_start == start)
        )
        if known:
            return 0
        missed = (await coverage(plan["id"], start, end)).missed
        if not missed:
            return 0
        await PatrolMiss.insert(
            *(
                PatrolMiss(plan_id=plan["id"], checkpoint_id=c, window_start=start, window_end=end)
                for c in missed
            )
        )
        note = Note(
            kind="patrol_missed",
            title=gettext(N_("Missed checkpoints: %(plan)s"), plan=plan["name"]),
            body=gettext(
                N_("%(n)s checkpoints had no check-in between %(start)s and %(end)s."),
                n=len(missed),
                start=start.astimezone(ZONE).strftime("%m-%d %H:%M"),
                end=end.astimezone(ZONE).strftime("%m-%d %H:%M"),
            ),
            url=f"/patrols/plans/{plan['id']}",
        )
        assignees = assignees_of(plan)
        told = await holders_over(plan["area_path"], [PostKind.station_staff])
        for person_id in dict.fromkeys([*told, *assignees]):
            await send_to(person_id, note)
    return len(missed)
