"""The hazard as a sync entity: what a phone or a desk may change, and how it is written.

Every hazard write, online form or replayed outbox entry, comes through here inside the sync
transaction (sync/store.py): clean -> refuse -> merge -> save -> record.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from server import localtime
from server.auth.access import BUREAU, STAFF
from server.auth.service import Viewer
from server.directory import service as directory
from server.directory.kinds import PostKind
from server.errors import NotFound
from server.geo import distance_m
from server.hazards import casework, tally
from server.hazards import fields as hazard_fields
from server.hazards.policy import (
    FIELD_LABELS,
    HAZARD_POLICY,
    OPS,
    Level,
    Status,
    Who,
    event_label,
    notice_label,
)
from server.hazards.tables import Hazard, HazardCategory, HazardEvent, HazardNotice
from server.i18n import N_, gettext
from server.notify.deliveries import Note, send_to
from sync.batch import Batch
from sync.hlc import trusted_time as hlc_trusted
from sync.merge import Outcome, Policy, union
from sync.mutation import Mutation
from sync.store import Adapter, Author

FIELDS = list(HAZARD_POLICY.fields)
_UUIDS = ("place_id", "merged_into", "assignee_id", "department_id")
#: a device session lives 30 days: nothing made offline can be older than that
OFFLINE_AT_MOST = timedelta(days=30)
#: the columns the figures' rollup counts by (tally.py): a write changing none skips it
TALLIED = frozenset({"area_path", "status", "level", "closed_at"})
_JSON = ("photos_before", "photos_after", "followers", "notes", "supervision")


def of_department(viewer: Viewer, department_id: str | None) -> bool:
    """The viewer works in the department the hazard was transferred to."""
    return bool(department_id) and any(str(d) == department_id for d in viewer.scope.department_ids)


def may_handle(
    viewer: Viewer, area_path: str, assignee_id: str | None, department_id: str | None = None
) -> bool:
    """Who may record a rectification: staff (the department's, for a hazard transferred to
    it), the assignee, or a grid member of its grid."""
    return bool(
        viewer.kinds & STAFF
        or of_department(viewer, department_id)
        or assignee_id == str(viewer.person_id)
        or any(
            p.kind is PostKind.grid_member and area_path.startswith(p.area_path)
            for p in viewer.posts
        )
    )


def to_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as merge values: plain JSON types (history and conflicts keep them as JSON)."""
    values = {name: row[name] for name in FIELDS}
    for name in _UUIDS:
        values[name] = str(values[name]) if values[name] else None
    for name in _JSON:
        if isinstance(values[name], str):
            values[name] = json.loads(values[name])
    deadline = values["deadline"]
    values["deadline"] = deadline.isoformat() if isinstance(deadline, date) else ""
    return values


def _columns(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name in _UUIDS:
            value = uuid.UUID(value) if value else None
        elif name == "deadline":
            value = date.fromisoformat(value) if value else None
        out[name] = value
    return out


async def _day_code(now: datetime) -> str:
    """YH, the city's day and a count without gaps within it (YH20261204-0003): in a ledger a
    missing number reads as a deleted record. Writers hold the sync lock (apply_group), so
    counting the day's codes, an index range, cannot race another report."""
    day = f"YH{localtime.today(now):%Y%m%d}-"
    earlier = await Hazard.count().where((Hazard.code >= day) & (Hazard.code < day[:-1] + "."))
    return localtime.day_number("YH", earlier, now)


class HazardAdapter(Adapter):
    policy = HAZARD_POLICY

    def __init__(self, verify_distance_m: float = 100.0) -> None:
        self.verify_distance_m = verify_distance_m

    async def load(self, record_id: uuid.UUID, *, batch: Batch) -> dict[str, Any] | None:
        columns = [getattr(Hazard, f) for f in FIELDS]
        row = await Hazard.select(*columns).where(Hazard.id == record_id).first()
        return to_values(row) if row else None

    def clean(self, mutation: Mutation) -> dict[str, Any]:
        return hazard_fields.clean(mutation.op, mutation.fields, mutation.mutation_id)

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
            return N_("Sign in to change hazards.")
        op = hazard_fields.op_of(mutation.op)
        if current is None and mutation.op != "report":
            return N_("This hazard does not exist.")
        if current is not None and mutation.op == "report":
            return N_("This hazard was reported already.")
        # Who may act is judged on the hazard as stored (its grid, place and assignee),
        # never on what the mutation says about them: a phone could claim any grid.
        stored = current if current is not None else fields
        if not self._covers(viewer, stored):
            return N_("This hazard is outside your area.")
        if mutation.op == "resolve" and not fields:
            return ""  # keeping the stored value: whoever sees the conflict may settle it
        values = {**fields, **(current or {})}
        if refusal := self._who(op.who, viewer, values):
            return refusal
        return await self._judge(mutation, viewer, current, {**values, **fields}, fields)

    @staticmethod
    def _covers(viewer: Viewer, values: Mapping[str, Any]) -> bool:
        place = values.get("place_id")
        return (
            viewer.scope.covers_path(values["area_path"])
            or (place is not None and uuid.UUID(place) in viewer.scope.place_ids)
            or of_department(viewer, values.get("department_id"))
        )

    @staticmethod
    def _who(who: Who, viewer: Viewer, values: Mapping[str, Any]) -> str:
        kinds = viewer.kinds
        department = values.get("department_id")
        if who is Who.staff and not (kinds & STAFF or of_department(viewer, department)):
            return N_("Only station or bureau staff may do this.")
        if who in (Who.supervisor, Who.supervising_unit) and not kinds & BUREAU:
            return N_("Only bureau staff put hazards under supervision.")
        if who is Who.handler and not may_handle(
            viewer, values["area_path"], values.get("assignee_id"), department
        ):
            return N_("Only the assignee or the grid member may record the rectification.")
        return ""

    async def _judge(
        self,
        mutation: Mutation,
        viewer: Viewer,
        current: dict[str, Any] | None,
        values: dict[str, Any],
        fields: dict[str, Any],
    ) -> str:
        """The rules that need the database or the hazard's own values."""
        if "category" in fields and not await HazardCategory.exists().where(
            (HazardCategory.code == fields["category"]) & HazardCategory.active.eq(True)
        ):
            return N_("Choose a category.")
        if fields.get("place_id"):
            try:
                place = await directory.get_place(viewer.scope, uuid.UUID(fields["place_id"]))
            except NotFound:
                return N_("The place is not in your area.")
            if place.area_path != values["area_path"]:
                return N_("The place is not in that grid.")
        if fields.get("assignee_id"):
            try:
                await directory.get_person(viewer.scope, uuid.UUID(fields["assignee_id"]))
            except NotFound:
                return N_("The assignee is not someone in your area.")
        if mutation.op == "merge":
            return await self._merge_target(viewer, mutation.record_id, fields["merged_into"])
        if mutation.op == "supervise" and values.get("level") != Level.major.value:
            return N_("Only major hazards are put under supervision.")
        if mutation.op in casework.RULES:
            return await casework.RULES[mutation.op](viewer, mutation.record_id, values)
        if mutation.op == "verify":
            return self._verifiable(mutation, values, fields)
        return ""

    @staticmethod
    async def _merge_target(viewer: Viewer, record_id: uuid.UUID, target: str) -> str:
        row = (
            await Hazard.select(Hazard.area_path, Hazard.status)
            .where(Hazard.id == uuid.UUID(target))
            .first()
        )
        if (
            row is None
            or str(record_id) == target
            or not viewer.scope.covers_path(row["area_path"])
        ):
            return N_("Choose the hazard it duplicates.")
        if row["status"] in (Status.merged.value, Status.rejected.value):
            return N_("A duplicate is merged into an open hazard.")
        return ""

    def _verifiable(
        self, mutation: Mutation, values: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> str:
        """No closure without an after-photo; a major hazard is verified on site: this very
        mutation brings an after-photo and a fix within the configured distance."""
        if not values.get("photos_after"):
            return N_("A hazard is closed only with a photo taken after rectification.")
        if values.get("level") != Level.major.value:
            return ""
        try:
            lat = hazard_fields.coordinate("lat", mutation.fields.get("verify_lat"))
            lng = hazard_fields.coordinate("lng", mutation.fields.get("verify_lng"))
        except ValueError:
            lat = lng = None
        if not fields.get("photos_after") or lat is None or lng is None:
            return N_("A major hazard is verified on site: take an after-photo there.")
        if values.get("lat") is not None and values.get("lng") is not None:
            away = distance_m(lat, lng, values["lat"], values["lng"])
            if away > self.verify_distance_m:
                return N_("You are too far from the hazard to verify it on site.")
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
        viewer: Viewer = author.principal
        columns = _columns(values)
        now = datetime.now(UTC)
        if values.get("status") == Status.accepted.value:
            columns["accepted_at"] = now
        if "status" in values:
            columns["closed_at"] = now if values["status"] == Status.closed.value else None
        if values.get("assignee_id"):
            person = await directory.get_person(viewer.scope, uuid.UUID(values["assignee_id"]))
            columns["assignee_name"] = person.name
        if values.get("place_id"):
            place = await directory.get_place(viewer.scope, uuid.UUID(values["place_id"]))
            columns["place_name"] = place.name
        if values.get("supervision"):
            columns["supervised_level"] = values["supervision"].get("level", "")
        if not created:
            columns.update(await casework.columns(record_id, values, mutation.op, viewer, now))
        columns["seq"] = seq
        counted = created or bool(columns.keys() & TALLIED)
        before = None if created or not counted else await tally.current(record_id)
        if created:
            await Hazard.insert(
                Hazard(
                    id=record_id,
                    code=await _day_code(now),
                    reporter_id=viewer.person_id,
                    reporter_name=viewer.name,
                    reported_at=trusted_time(mutation, now),
                    received_at=now,
                    **columns,
                )
            )
        else:
            await Hazard.update({getattr(Hazard, k): v for k, v in columns.items()}).where(
                Hazard.id == record_id
            )
        if counted:  # the figures' rollup, in this transaction
            await tally.move(before, await tally.current(record_id))

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
        viewer: Viewer = author.principal
        now = datetime.fromtimestamp(received_ms / 1000, UTC)
        data = {k: v for k, v in fields.items() if k != "status"}
        data.update(
            {k: mutation.fields[k] for k in hazard_fields.TRANSIENT if k in mutation.fields}
        )
        addendum = any(c.kind is Policy.status for c in outcome.conflicts)
        await HazardEvent.insert(
            HazardEvent(
                hazard_id=mutation.record_id,
                kind=mutation.op[:24],
                actor_id=viewer.person_id,
                actor_name=viewer.name,
                device_id=mutation.device_id,
                phone_time=trusted_time(mutation, now) if mutation.phone_time else None,
                server_time=now,
                data=data,
                addendum=addendum,
                seq=seq,
            )
        )
        if mutation.op == "merge" and not addendum:
            await _absorb(mutation.record_id, uuid.UUID(fields["merged_into"]), viewer, seq, now)
        if mutation.op in ("assign", "send_back") and not addendum:
            assignee = outcome.changes.get("assignee_id") or await _assignee(mutation.record_id)
            if assignee:
                await notify(uuid.UUID(assignee), mutation.record_id, mutation.op)
        if not addendum:
            await _tell_who_waits(mutation, outcome, viewer)
            for person_id, kind in await casework.told(
                mutation.op, mutation.record_id, outcome.changes, viewer
            ):
                await notify(person_id, mutation.record_id, kind)

    @staticmethod
    def labels() -> dict[str, str]:
        hazard = gettext(N_("Hazard"))
        return {
            "hazard": hazard,
            **{f"hazard.{op}": f"{hazard} · {event_label(op)}" for op in OPS},
            **{f"hazard:{name}": gettext(label) for name, label in FIELD_LABELS.items()},
        }

    def locate(self, values: Mapping[str, Any]) -> tuple[str, uuid.UUID | None]:
        assignee = values.get("assignee_id")
        return values.get("area_path") or "", uuid.UUID(assignee) if assignee else None

    def url(self, record_id: uuid.UUID) -> str:
        return f"/hazards/{record_id}"


async def _absorb(
    duplicate: uuid.UUID, target: uuid.UUID, viewer: Viewer, seq: int, now: datetime
) -> None:
    """A merged duplicate's photos and people go to the hazard it duplicates (unions: the
    same as if they had been added there), so its reporter follows the outcome."""
    columns = [getattr(Hazard, f) for f in FIELDS]
    query = Hazard.select(*columns, Hazard.id, Hazard.reporter_id)
    rows = {r["id"]: r for r in await query.where(Hazard.id.is_in([duplicate, target]))}
    source, into = to_values(rows[duplicate]), to_values(rows[target])
    reporter = rows[duplicate]["reporter_id"]
    people = [*source["followers"], *([{"id": str(reporter)}] if reporter else [])]
    photos = union(into["photos_before"], source["photos_before"]) or into["photos_before"]
    followers = union(into["followers"], people) or into["followers"]
    await Hazard.update({Hazard.photos_before: photos, Hazard.followers: followers}).where(
        Hazard.id == target
    )
    await HazardEvent.insert(
        HazardEvent(
            hazard_id=target,
            kind="merge_in",
            actor_id=viewer.person_id,
            actor_name=viewer.name,
            server_time=now,
            data={"duplicate": str(duplicate), "photos_before": source["photos_before"]},
            seq=seq,
        )
    )


def trusted_time(mutation: Mutation, received: datetime) -> datetime:
    """The phone's time, within what can be true: never after the server received it, and
    never before a device session could have been offline (30 days): phones' clocks are wrong."""
    return hlc_trusted(mutation.phone_time, received - OFFLINE_AT_MOST, received)


async def _tell_who_waits(mutation: Mutation, outcome: Outcome, viewer: Viewer) -> None:
    """Notices where people expect them: the station staff over a new report's grid (it waits
    for their triage), and the reporter when it is accepted, sent back and closed. Nobody is
    told of their own act."""
    if mutation.op == "report" and outcome.changes:
        path = outcome.changes.get("area_path") or ""
        for person_id in await directory.holders_over(path, [PostKind.station_staff]):
            if person_id != viewer.person_id:
                await notify(person_id, mutation.record_id, "reported")
        return
    news = {"accept": "accepted", "send_back": "sent_back", "verify": "closed"}.get(mutation.op)
    if news is None or "status" not in outcome.changes:
        return
    row = await Hazard.select(Hazard.reporter_id).where(Hazard.id == mutation.record_id).first()
    reporter = row["reporter_id"] if row else None
    if reporter and reporter != viewer.person_id:
        await notify(reporter, mutation.record_id, news)


async def _assignee(hazard_id: uuid.UUID) -> str | None:
    row = await Hazard.select(Hazard.assignee_id).where(Hazard.id == hazard_id).first()
    return str(row["assignee_id"]) if row and row["assignee_id"] else None


async def notify(
    person_id: uuid.UUID, hazard_id: uuid.UUID, kind: str, *, inbox: bool = True
) -> None:
    """A line in the person's in-app inbox (unless written already), and the same news
    pushed to their devices. Overdue is urgent (texts, then calls) only for a major or a
    supervised hazard: an ordinary one is pushed, then texted if unread."""
    if inbox:
        await HazardNotice.insert(HazardNotice(person_id=person_id, hazard_id=hazard_id, kind=kind))
    row = (
        await Hazard.select(
            Hazard.code, Hazard.address, Hazard.deadline, Hazard.level, Hazard.supervised_level
        )
        .where(Hazard.id == hazard_id)
        .first()
    )
    if row is None:
        return
    deadline = f" · {row['deadline'].isoformat()}" if row["deadline"] else ""
    urgent = kind == "overdue" and (row["level"] == Level.major.value or row["supervised_level"])
    await send_to(
        person_id,
        Note(
            kind=f"hazard.{kind}",
            title=notice_label(kind),
            body=f"{row['code']} {row['address']}{deadline}".strip(),
            url=f"/hazards/{hazard_id}",
            urgency="high" if urgent else "normal",
            topic=f"h{hazard_id.hex[:20]}{kind[:8]}",
        ),
    )
