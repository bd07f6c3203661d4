"""Patrol plans (staff) and what the patrols did against them: coverage of checkpoints."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from piccolo.columns.combination import Combinable, WhereRaw

from server import db
from server.auth.service import Viewer
from server.directory import service as directory
from server.errors import DomainError, NotFound
from server.i18n import N_
from server.patrols.tables import CheckIn, Checkpoint, Patrol, PatrolMiss, PatrolPlan

SCHEDULES = ("daily", "twice_daily", "weekly", "on_warning")


def assignees_of(plan: dict) -> list[uuid.UUID]:
    """A plan row's assignees (JSON text on SQLite, a list on PostgreSQL)."""
    value = plan["assignees"]
    listed = db.as_json(value)
    return [uuid.UUID(str(a)) for a in listed or []]


@dataclass(frozen=True)
class NewPlan:
    name: str
    area_path: str
    place_ids: list[uuid.UUID]
    assignee_ids: list[uuid.UUID]
    schedule: str = "daily"
    radius_m: int = 50


async def create_plan(viewer: Viewer, plan: NewPlan) -> uuid.UUID:
    """A plan over an area with one checkpoint per place (its location and QR token)."""
    if not plan.name.strip():
        raise DomainError(N_("Give the plan a name."))
    if plan.schedule not in SCHEDULES:
        raise DomainError(N_("Choose how often it is walked."))
    if not viewer.scope.covers_path(plan.area_path):
        raise DomainError(N_("You can only plan patrols in your own areas."))
    if not 5 <= plan.radius_m <= 1000:
        raise DomainError(N_("A checkpoint's radius is 5 to 1,000 metres."))
    places = [await directory.get_place(viewer.scope, p) for p in plan.place_ids]
    if not places or any(
        p.lat is None or not p.area_path.startswith(plan.area_path) for p in places
    ):
        raise DomainError(N_("Choose places of this area that have a location."))
    plan_id = uuid.uuid4()
    async with db.current().write():
        await PatrolPlan.insert(
            PatrolPlan(
                id=plan_id,
                name=plan.name.strip()[:120],
                area_path=plan.area_path,
                schedule=plan.schedule,
                assignees=[str(a) for a in plan.assignee_ids],
                created_by=viewer.person_id,
            )
        )
        await Checkpoint.insert(
            *(
                Checkpoint(
                    plan_id=plan_id,
                    place_id=place.id,
                    name=place.name,
                    lat=place.lat,
                    lng=place.lng,
                    radius_m=plan.radius_m,
                    qr_token=place.qr_token,
                    position=n,
                )
                for n, place in enumerate(places)
            )
        )
    return plan_id


@dataclass(frozen=True)
class Coverage:
    required: int
    covered: list[uuid.UUID]
    missed: list[uuid.UUID]

    @property
    def summary(self) -> str:
        return f"{len(self.covered)}/{self.required}"


async def coverage(plan_id: uuid.UUID, since: datetime, until: datetime) -> Coverage:
    """Which of a plan's checkpoints had a check-in, not flagged, from one of its patrols
    within [since, until)."""
    points = [
        r["id"]
        for r in await Checkpoint.select(Checkpoint.id)
        .where(Checkpoint.plan_id == plan_id)
        .order_by(Checkpoint.position)
    ]
    patrols = Patrol.select(Patrol.id).where(Patrol.plan_id == plan_id)
    rows = await CheckIn.select(CheckIn.checkpoint_id).where(
        CheckIn.patrol_id.is_in(patrols)
        & CheckIn.flagged.eq(False)
        & (CheckIn.at >= since)
        & (CheckIn.at < until)
    )
    done = {r["checkpoint_id"] for r in rows}
    return Coverage(
        required=len(points),
        covered=[p for p in points if p in done],
        missed=[p for p in points if p not in done],
    )


NOT_FOUND = N_("This patrol plan does not exist, or you cannot see it.")


def _sees(viewer: Viewer, plan: dict) -> bool:
    return viewer.scope.covers_path(plan["area_path"]) or viewer.person_id in assignees_of(plan)


def _assigned_to(person_id: uuid.UUID) -> Combinable:
    """Plans whose assignees list holds the person: a match on the JSON list's text (a UUID
    cannot appear inside another by accident)."""
    if db.current().is_sqlite:
        return PatrolPlan.assignees.like(f"%{person_id}%")
    return WhereRaw("assignees::text LIKE {}", f"%{person_id}%")


async def plans_for(viewer: Viewer, limit: int = 200) -> list[dict]:
    """Active plans the viewer walks or supervises, by name (filtered in the database: a
    city has tens of thousands of plans)."""
    where = PatrolPlan.active.eq(True)
    scope = viewer.scope.where(PatrolPlan.area_path)
    if scope is not None:
        where = where & (scope | _assigned_to(viewer.person_id))
    rows = await PatrolPlan.select().where(where).order_by(PatrolPlan.name).limit(limit)
    return [r for r in rows if _sees(viewer, r)]


async def get_plan(viewer: Viewer, plan_id: uuid.UUID) -> dict:
    row = await PatrolPlan.select().where(PatrolPlan.id == plan_id).first()
    if row is None or not _sees(viewer, row):
        raise NotFound(NOT_FOUND)
    return row


async def checkpoints(plan_id: uuid.UUID) -> list[dict]:
    return (
        await Checkpoint.select().where(Checkpoint.plan_id == plan_id).order_by(Checkpoint.position)
    )


async def misses(plan_id: uuid.UUID, limit: int = 50) -> list[dict]:
    return (
        await PatrolMiss.select()
        .where(PatrolMiss.plan_id == plan_id)
        .order_by(PatrolMiss.window_start, ascending=False)
        .limit(limit)
    )


async def recent_patrols(plan_id: uuid.UUID, limit: int = 20) -> list[dict]:
    return (
        await Patrol.select()
        .where(Patrol.plan_id == plan_id)
        .order_by(Patrol.started_at, ascending=False)
        .limit(limit)
    )
