"""How often a place is inspected follows its risk grade (RiskGrade.inspect_every_days: 重大
weekly … 低 quarterly): when each place was last checked in at, and which places of a grid
member's grids are due (never checked, or not within their grade's interval)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from piccolo.query.functions.aggregate import Max

from server.auth.service import Viewer
from server.directory import service as directory
from server.directory.kinds import PostKind
from server.directory.records import PlaceRecord
from server.patrols.tables import CheckIn, Checkpoint


@dataclass(frozen=True)
class Due:
    place: PlaceRecord
    last: datetime | None

    @property
    def every_days(self) -> int:
        return self.place.risk_grade.inspect_every_days


async def last_visits(place_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """The latest check-in at each place (through any plan's checkpoint at it)."""
    if not place_ids:
        return {}
    points = await Checkpoint.select(Checkpoint.id, Checkpoint.place_id).where(
        Checkpoint.place_id.is_in(place_ids)
    )
    place_of = {p["id"]: p["place_id"] for p in points}
    if not place_of:
        return {}
    rows = await (
        CheckIn.select(CheckIn.checkpoint_id, Max(CheckIn.at, alias="at"))
        .where(CheckIn.checkpoint_id.is_in(list(place_of)) & CheckIn.at.is_not_null())
        .group_by(CheckIn.checkpoint_id)
    )
    found: dict[uuid.UUID, datetime] = {}
    for r in rows:
        place, at = place_of[r["checkpoint_id"]], _moment(r["at"])
        if at and (place not in found or at > found[place]):
            found[place] = at
    return found


def _moment(value: datetime | str | None) -> datetime | None:
    """An aggregate's time: SQLite hands MAX() back as text."""
    if isinstance(value, str):
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return value


def is_due(place: PlaceRecord, last: datetime | None, now: datetime) -> bool:
    every = timedelta(days=place.risk_grade.inspect_every_days)
    return place.active and (last is None or now - last > every)


async def due_in_my_grids(viewer: Viewer, now: datetime) -> list[Due]:
    """The places of the viewer's grids (a grid member's own) due for inspection, the
    riskiest first."""
    grids = [p.area_path for p in viewer.posts if p.kind is PostKind.grid_member and p.active]
    places: list[PlaceRecord] = []
    for path in dict.fromkeys(grids):
        area = await directory.area_by_path(path)
        if area is not None:
            places += await directory.places_under(viewer.scope, area)
    visits = await last_visits([p.id for p in places])
    return [Due(p, visits.get(p.id)) for p in places if is_due(p, visits.get(p.id), now)]
