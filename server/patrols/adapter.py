"""The patrol as a sync entity: started, its track sent in batches, check-ins, ended; all
made on the phone, offline or not, and applied once each.

Entity "patrol", ops start / track / checkin / end. Track points and check-ins are unions by
the ids the phone gave them, kept as rows of their own (a replay inserts nothing twice). A
track with impossible speed, or a check-in far from its checkpoint or with the wrong code,
is flagged for review, never refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from server.auth.service import Viewer
from server.directory.qr import is_plate
from server.geo import Fix, distance_m, inside, length_m, too_fast
from server.i18n import N_, gettext
from server.patrols import fields as patrol_fields
from server.patrols.policy import PATROL_POLICY
from server.patrols.service import assignees_of
from server.patrols.tables import CheckIn, Checkpoint, Patrol, PatrolPlan, TrackPoint
from sync.batch import Batch, insert_rows
from sync.hlc import trusted_time
from sync.merge import Outcome
from sync.mutation import Mutation
from sync.store import Adapter, Author

#: faster than this between two fixes is flagged (a motorbike on a dyke road is well below)
MAX_KMH = 120.0
#: a check-in this much beyond its checkpoint's radius is flagged
FAR_M = 200.0
#: nothing made offline can be older than a device session (30 days)
OFFLINE_AT_MOST = timedelta(days=30)


class PatrolAdapter(Adapter):
    policy = PATROL_POLICY

    async def load(self, record_id: uuid.UUID, *, batch: Batch) -> dict[str, Any] | None:
        row = (
            await Patrol.select(Patrol.plan_id, Patrol.area_path, Patrol.state)
            .where(Patrol.id == record_id)
            .first()
        )
        if row is None:
            return None
        # points and check-ins live in their own tables: the union happens there
        return {
            "plan_id": str(row["plan_id"]) if row["plan_id"] else None,
            "area_path": row["area_path"],
            "state": row["state"],
            "points": [],
            "checkins": [],
        }

    def clean(self, mutation: Mutation) -> dict[str, Any]:
        return patrol_fields.clean(mutation.op, mutation.fields)

    async def refuse(
        self,
        author: Author,
        record_id: uuid.UUID,
        current: dict[str, Any] | None,
        mutation: Mutation,
        fields: dict[str, Any],
        *,
        batch: Batch,
    ) -> str:
        viewer = author.principal
        if not isinstance(viewer, Viewer):
            return N_("Sign in to patrol.")
        if mutation.op == "start":
            return await _may_start(viewer, fields)
        row = await Patrol.select(Patrol.person_id).where(Patrol.id == record_id).first()
        if row is None:
            return N_("This patrol has not been started.")
        if row["person_id"] != viewer.person_id:
            return N_("This patrol is someone else's.")
        for checkin in fields.get("checkins", []):
            if not await Checkpoint.exists().where(Checkpoint.id == checkin["checkpoint_id"]):
                return N_("This checkpoint does not exist.")
        return ""

    async def save(
        self,
        record_id: uuid.UUID,
        values: dict[str, Any],
        *,
        created: bool,
        author: Author,
        seq: int,
        mutation: Mutation,
        batch: Batch,
    ) -> None:
        now = datetime.now(UTC)
        at = trusted_time(mutation.phone_time, now - OFFLINE_AT_MOST, now)
        if created:
            await Patrol.insert(
                Patrol(
                    id=record_id,
                    plan_id=uuid.UUID(values["plan_id"]) if values.get("plan_id") else None,
                    person_id=author.person_id,
                    area_path=values.get("area_path") or "",
                    started_at=at,
                    seq=seq,
                )
            )
        if values.get("points"):
            await _add_points(record_id, values["points"])
        if values.get("checkins"):
            await _add_checkins(record_id, values["checkins"], now)
        update: dict[Any, Any] = {Patrol.seq: seq}
        if not created and values.get("state") == "ended":
            update.update({Patrol.state: "ended", Patrol.ended_at: at})
        await Patrol.update(update).where(Patrol.id == record_id)

    async def record(
        self,
        mutation: Mutation,
        fields: dict[str, Any],
        outcome: Outcome,
        author: Author,
        seq: int,
        received_ms: int,
        *,
        batch: Batch,
    ) -> None:
        """After new points: the patrol's length, count and speed flags, from its whole track."""
        if "points" in fields:
            await summarize(mutation.record_id)

    @staticmethod
    def labels() -> dict[str, str]:
        return {
            "patrol": gettext(N_("Patrol")),
            "patrol.start": gettext(N_("Patrol started")),
            "patrol.track": gettext(N_("Patrol route")),
            "patrol.checkin": gettext(N_("Check-in")),
            "patrol.end": gettext(N_("Patrol ended")),
        }

    def locate(self, values: Mapping[str, Any]) -> tuple[str, uuid.UUID | None]:
        return values.get("area_path") or "", None

    def url(self, record_id: uuid.UUID) -> str:
        return f"/patrols/{record_id}"


async def _may_start(viewer: Viewer, fields: dict[str, Any]) -> str:
    """A planned patrol: the plan's assignees, or staff over its area; it takes the plan's
    area (the plan says where, not the phone). An unplanned one: in the person's own areas."""
    if fields.get("plan_id"):
        plan = await PatrolPlan.select().where(PatrolPlan.id == fields["plan_id"]).first()
        if plan is None or not plan["active"]:
            return N_("This patrol plan does not exist.")
        assigned = viewer.person_id in assignees_of(plan)
        if not assigned and not viewer.scope.covers_path(plan["area_path"]):
            return N_("This patrol plan is not yours.")
        fields["area_path"] = plan["area_path"]
        return ""
    if not fields.get("area_path") or not viewer.scope.covers_path(fields["area_path"]):
        return N_("Patrol in your own grid.")
    return ""


async def _add_points(patrol_id: uuid.UUID, points: list[dict[str, Any]]) -> None:
    rows = [
        {
            "id": uuid.UUID(p["id"]),
            "patrol_id": patrol_id,
            "lat": p["lat"],
            "lng": p["lng"],
            "accuracy": p["accuracy"],
            "at_ms": p["at"],
        }
        for p in points
    ]
    for at in range(0, len(rows), 500):
        await insert_rows(TrackPoint, rows[at : at + 500], skip_existing=True)


async def _add_checkins(patrol_id: uuid.UUID, checkins: list[dict], now: datetime) -> None:
    places = {
        r["id"]: r
        for r in await Checkpoint.select().where(
            Checkpoint.id.is_in([uuid.UUID(c["checkpoint_id"]) for c in checkins])
        )
    }
    rows = []
    for c in checkins:
        point = places[uuid.UUID(c["checkpoint_id"])]
        away = (
            distance_m(c["lat"], c["lng"], point["lat"], point["lng"])
            if c["lat"] is not None
            else None
        )
        wrong_code = c["method"] in ("qr", "code") and not is_plate(c["token"], point["qr_token"])
        far = away is not None and away > point["radius_m"] + FAR_M
        outside = c["method"] == "geofence" and not (
            away is not None
            and inside(Fix(c["lat"], c["lng"]), point["lat"], point["lng"], point["radius_m"])
        )
        at = datetime.fromtimestamp(c["at"] / 1000, UTC) if c["at"] else now
        rows.append(
            {
                **{
                    k: c[k] for k in ("method", "token", "lat", "lng", "accuracy", "result", "note")
                },
                "id": uuid.UUID(c["id"]),
                "patrol_id": patrol_id,
                "checkpoint_id": point["id"],
                "photos": c["photos"],
                "hazard_id": uuid.UUID(c["hazard_id"]) if c["hazard_id"] else None,
                "distance_m": away,
                "flagged": wrong_code or far or outside,
                "at": min(max(at, now - OFFLINE_AT_MOST), now),
            }
        )
    await insert_rows(CheckIn, rows, skip_existing=True)


async def summarize(patrol_id: uuid.UUID) -> None:
    """Count, length and speed flags of a patrol's whole track (fixes in time order)."""
    rows = (
        await TrackPoint.select(
            TrackPoint.lat, TrackPoint.lng, TrackPoint.accuracy, TrackPoint.at_ms
        )
        .where(TrackPoint.patrol_id == patrol_id)
        .order_by(TrackPoint.at_ms)
    )
    track = [Fix(r["lat"], r["lng"], r["accuracy"], r["at_ms"]) for r in rows]
    jumps = too_fast(track, MAX_KMH)
    flags = [{"kind": "speed", "at": track[i].at_ms} for i in jumps[:20]]
    await Patrol.update(
        {Patrol.points: len(track), Patrol.distance_m: length_m(track), Patrol.flags: flags}
    ).where(Patrol.id == patrol_id)
