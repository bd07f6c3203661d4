"""What supervisors see of patrols: the list in their areas, and one patrol with its track
(thinned for the map), its check-ins against the plan's checkpoints, and its flags."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from server.auth.service import Viewer
from server.db import as_json
from server.directory import service as directory
from server.directory.qr import is_plate
from server.errors import NotFound
from server.geo import Fix, thin
from server.i18n import N_
from server.patrols.tables import CheckIn, Checkpoint, Patrol, PatrolPlan, TrackPoint

#: the map draws the track within this many metres of every fix (a phone draws ~500 points
#: of a 10 km walk; a day's walk of 5,000 fixes stays a light page)
MAP_TOLERANCE_M = 3.0
NOT_FOUND = N_("This patrol does not exist, or you cannot see it.")


@dataclass(frozen=True)
class PatrolView:
    patrol: dict[str, Any]
    plan_name: str
    person_name: str
    grid_name: str
    #: [lat, lng] pairs in time order, thinned
    track: list[list[float]]
    #: the plan's checkpoints, each with the check-ins made at it on this patrol
    checkpoints: list[dict[str, Any]]
    checkins: list[dict[str, Any]]

    @property
    def minutes(self) -> int | None:
        started, ended = self.patrol["started_at"], self.patrol["ended_at"]
        return round((ended - started).total_seconds() / 60) if started and ended else None

    @property
    def covered(self) -> int:
        return sum(1 for c in self.checkpoints if c["checkins"])

    @property
    def checkpoint_marks(self) -> list[dict[str, Any]]:
        """What the map draws of the plan: each checkpoint's geofence, checked or not."""
        return [
            {
                "lat": p["lat"],
                "lng": p["lng"],
                "radius": p["radius_m"],
                "name": p["name"],
                "done": bool(p["checkins"]),
            }
            for p in self.checkpoints
        ]

    @property
    def checkin_marks(self) -> list[dict[str, Any]]:
        """Where each check-in with a location was made."""
        return [
            {
                "lat": c["lat"],
                "lng": c["lng"],
                "name": c["checkpoint_name"],
                "flagged": c["flagged"],
            }
            for c in self.checkins
            if c["lat"] is not None
        ]

    @property
    def flagged(self) -> int:
        return len(self.patrol["flags"] or []) + sum(1 for c in self.checkins if c["flagged"])


def _sees(viewer: Viewer, patrol: dict[str, Any]) -> bool:
    return viewer.person_id == patrol["person_id"] or viewer.scope.covers_path(patrol["area_path"])


async def listing(viewer: Viewer, limit: int = 100) -> list[dict[str, Any]]:
    """The newest patrols in the viewer's areas (their own among them), with names."""
    query = Patrol.select()
    where = viewer.scope.where(Patrol.area_path, assignee_column=Patrol.person_id)
    if where is not None:
        query = query.where(where)
    patrols = await query.order_by(Patrol.started_at, ascending=False).limit(limit)
    plans = await _plan_names([p["plan_id"] for p in patrols])
    people = await directory.names_in_scope(viewer.scope, list({p["person_id"] for p in patrols}))
    grids = await directory.area_names([p["area_path"] for p in patrols])
    return [
        {
            **p,
            "plan_name": plans.get(p["plan_id"], ""),
            "person_name": people.get(p["person_id"], ""),
            "grid_name": grids.get(p["area_path"], ""),
        }
        for p in patrols
    ]


async def _plan_names(ids: list[Any]) -> dict[uuid.UUID, str]:
    wanted = [i for i in set(ids) if i]
    if not wanted:
        return {}
    rows = await PatrolPlan.select(PatrolPlan.id, PatrolPlan.name).where(
        PatrolPlan.id.is_in(wanted)
    )
    return {r["id"]: r["name"] for r in rows}


async def get_patrol(viewer: Viewer, patrol_id: uuid.UUID) -> PatrolView:
    patrol = await Patrol.select().where(Patrol.id == patrol_id).first()
    if patrol is None or not _sees(viewer, patrol):
        raise NotFound(NOT_FOUND)
    patrol["flags"] = _json_list(patrol["flags"])
    fixes = [
        Fix(r["lat"], r["lng"], r["accuracy"], r["at_ms"])
        for r in await TrackPoint.select(
            TrackPoint.lat, TrackPoint.lng, TrackPoint.accuracy, TrackPoint.at_ms
        )
        .where(TrackPoint.patrol_id == patrol_id)
        .order_by(TrackPoint.at_ms)
    ]
    checkins = await CheckIn.select().where(CheckIn.patrol_id == patrol_id).order_by(CheckIn.at)
    for c in checkins:
        c["photos"] = _json_list(c["photos"])
    planned = (
        await Checkpoint.select()
        .where(Checkpoint.plan_id == patrol["plan_id"])
        .order_by(Checkpoint.position)
        if patrol["plan_id"]
        else []
    )
    for point in planned:
        point["checkins"] = [c for c in checkins if c["checkpoint_id"] == point["id"]]
    names = {p["id"]: p["name"] for p in planned}
    for c in checkins:
        c["checkpoint_name"] = names.get(c["checkpoint_id"], "")
    people = await directory.names_in_scope(viewer.scope, [patrol["person_id"]])
    return PatrolView(
        patrol=patrol,
        plan_name=(await _plan_names([patrol["plan_id"]])).get(patrol["plan_id"], ""),
        person_name=people.get(patrol["person_id"], ""),
        grid_name=(await directory.area_names([patrol["area_path"]])).get(patrol["area_path"], ""),
        track=[[round(f.lat, 6), round(f.lng, 6)] for f in thin(fixes, MAP_TOLERANCE_M)],
        checkpoints=planned,
        checkins=checkins,
    )


WRONG_CODE = N_("The code does not match this plate")
TOO_FAR = N_("Checked in away from the place")
CHECKED = N_("Checked by the server")


async def verdicts(viewer: Viewer, patrol_id: uuid.UUID) -> list[dict[str, Any]]:
    """What the server made of each check-in of a patrol, for the phone that walks it: counted,
    or flagged and why. Nothing yet (an empty list) while the patrol has not arrived."""
    patrol = (
        await Patrol.select(Patrol.person_id, Patrol.area_path)
        .where(Patrol.id == patrol_id)
        .first()
    )
    if patrol is None:
        return []
    if not _sees(viewer, patrol):
        raise NotFound(NOT_FOUND)
    checkins = await CheckIn.select(
        CheckIn.checkpoint_id, CheckIn.method, CheckIn.token, CheckIn.flagged
    ).where(CheckIn.patrol_id == patrol_id)
    tokens = {
        r["id"]: r["qr_token"]
        for r in await Checkpoint.select(Checkpoint.id, Checkpoint.qr_token).where(
            Checkpoint.id.is_in([c["checkpoint_id"] for c in checkins] or [uuid.uuid4()])
        )
    }
    out = []
    for c in checkins:
        why = CHECKED
        if c["flagged"]:
            coded = c["method"] in ("qr", "code")
            wrong = coded and not is_plate(c["token"], tokens.get(c["checkpoint_id"], ""))
            why = WRONG_CODE if wrong else TOO_FAR
        out.append({"checkpoint_id": str(c["checkpoint_id"]), "flagged": c["flagged"], "why": why})
    return out


def _json_list(value: Any) -> list:
    return as_json(value) or []
