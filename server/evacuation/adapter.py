"""A household's mark (已转移, 拒绝转移, 不在家, 已自行转移) as a sync mutation, online or queued
offline on the phone of a grid member or a keeper.

Entity "evac_row", op "mark", fields {mark, destination, shelter_id, heads, reason} as the
form sends them; cleaned into one item of the union field "marks", keyed by the mutation id,
so that marks from two phones never conflict: every one is kept in the household's trail,
and the row shows the latest by trusted time (the phone's, believed between the start of
the evacuation and the server's receipt).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from server.auth.service import Viewer
from server.evacuation import alerts, policy
from server.evacuation.kinds import DESTINATIONS, EvacState, Mark
from server.evacuation.policy import ROW_POLICY
from server.evacuation.records import EvacRecord
from server.evacuation.tables import EvacRow, Evacuation, Shelter
from server.evacuation.trail import (
    EVACUATIONS,
    EVENTS,
    REFUSALS,
    ROWS,
    SHELTERS,
    UPDATES,
    event_row,
    flush_events,
    touch,
)
from server.i18n import N_, gettext
from sync.batch import Batch, update_rows
from sync.hlc import trusted_time
from sync.merge import Outcome
from sync.mutation import Mutation
from sync.store import Adapter, Author

MAX_HEADS = 200


def clean_fields(mutation_id: uuid.UUID, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The form's strings as one mark; ValueError (a message id) says what is wrong."""
    mark = str(fields.get("mark") or "")
    if mark not in Mark.__members__:
        raise ValueError(N_("Choose what happened to the household."))
    destination = str(fields.get("destination") or "") if mark == Mark.moved else ""
    shelter = str(fields.get("shelter_id") or "").strip() if destination == "shelter" else ""
    if mark == Mark.moved and destination not in DESTINATIONS:
        raise ValueError(N_("Say where they went: a shelter, or relatives and friends."))
    if destination == "shelter":
        try:
            shelter = str(uuid.UUID(shelter))
        except ValueError:
            raise ValueError(N_("Choose the shelter they went to.")) from None
    raw = str(fields.get("heads") or "").strip()
    try:
        heads = int(raw) if raw else None
    except ValueError:
        raise ValueError(N_("The head count is a whole number.")) from None
    if heads is not None and not 0 <= heads <= MAX_HEADS:
        raise ValueError(N_("The head count is between 0 and 200."))
    reason = str(fields.get("reason") or "").strip()[:300]
    if mark == Mark.refused and not reason:
        raise ValueError(N_("Say why they refuse: someone will visit again."))
    item = {
        "id": str(mutation_id),
        "mark": mark,
        "destination": destination,
        "shelter_id": shelter,
        "heads": heads,
        "reason": reason,
    }
    return {"marks": [item]}


async def _read(record_ids: list[uuid.UUID], batch: Batch) -> None:
    """Rows (and their evacuations, each once) into the batch's scratch, 500 to a query."""
    rows = batch.scratch(ROWS, dict)
    evacuations = batch.scratch(EVACUATIONS, dict)
    wanted = [r for r in dict.fromkeys(record_ids) if r not in rows]
    for at in range(0, len(wanted), 500):
        chunk = wanted[at : at + 500]
        found = {r["id"]: r for r in await EvacRow.select().where(EvacRow.id.is_in(chunk))}
        missing = {r["evacuation_id"] for r in found.values()} - set(evacuations)
        if missing:
            for e in await Evacuation.select().where(Evacuation.id.is_in(list(missing))):
                evacuations[e["id"]] = EvacRecord.from_row(e)
        rows.update({r: found.get(r) for r in chunk})


async def _loaded(
    record_id: uuid.UUID, batch: Batch
) -> tuple[dict[str, Any] | None, EvacRecord | None]:
    rows = batch.scratch(ROWS, dict)
    if record_id not in rows:
        await _read([record_id], batch)
    row = rows.get(record_id)
    if row is None:
        return None, None
    return row, batch.scratch(EVACUATIONS, dict).get(row["evacuation_id"])


async def _shelter_exists(shelter_id: uuid.UUID, batch: Batch) -> bool:
    """Read once per batch: a village's marks name the same two or three shelters."""
    known = batch.scratch(SHELTERS, dict)
    if shelter_id not in known:
        known[shelter_id] = await Shelter.exists().where(Shelter.id == shelter_id)
    return known[shelter_id]


class EvacRowAdapter(Adapter):
    policy = ROW_POLICY

    async def load(self, record_id: uuid.UUID, *, batch: Batch) -> dict[str, Any] | None:
        row, _ = await _loaded(record_id, batch)
        # the marks live in the trail: the union starts empty, so each new mark is a change
        return None if row is None else {"marks": []}

    def clean(self, mutation: Mutation) -> dict[str, Any]:
        if mutation.op != "mark":
            raise ValueError(N_("This action is not known."))
        return clean_fields(mutation.mutation_id, mutation.fields)

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
        row, evacuation = await _loaded(record_id, batch)
        if row is None or evacuation is None or not isinstance(viewer, Viewer):
            return N_("This household is not on a roster you answer for.")
        if not policy.answers_for(viewer, row["area_path"], row["keeper_id"]):
            return N_("This household is not on a roster you answer for.")
        if evacuation.state is EvacState.closed:
            return N_("This evacuation is closed.")
        if row["removed"]:
            return N_("This household has been taken off the roster.")
        shelter = fields["marks"][0]["shelter_id"]
        if shelter and not await _shelter_exists(uuid.UUID(shelter), batch):
            return N_("Choose the shelter they went to.")
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
        """Nothing here: record() writes the mark that counts with its trusted time."""

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
        """Every mark goes to the trail; the row takes it when it is the latest trusted one."""
        row, evacuation = await _loaded(mutation.record_id, batch)
        if row is None or evacuation is None:
            return
        item = fields["marks"][0]
        received = datetime.fromtimestamp(received_ms / 1000, UTC)
        at = trusted_time(mutation.phone_time, evacuation.started_at, received)
        latest = row["marked_at"] is None or at >= row["marked_at"]
        detail = {k: v for k, v in item.items() if k != "id" and v not in ("", None)}
        detail["latest"] = latest
        if mutation.phone_time:
            detail["phone_at"] = datetime.fromtimestamp(mutation.phone_time / 1000, UTC).isoformat()
        batch.scratch(EVENTS, list).append(
            event_row(evacuation.id, row["id"], "mark", author.person_id, detail, at)
        )
        if latest:
            values = {
                "mark": item["mark"],
                "destination": item["destination"],
                "shelter_id": uuid.UUID(item["shelter_id"]) if item["shelter_id"] else None,
                "heads": item["heads"],
                "reason": item["reason"],
                "marked_at": at,
                "marked_by": author.person_id,
                "seq": seq,
            }
            # an unreached special-needs person is not safe: their escalation goes on
            if item["mark"] != Mark.unreached:
                values["next_at"] = None
            # written at the batch's end, one statement for the batch (flush)
            pending = batch.scratch(UPDATES, dict)
            pending[row["id"]] = {**pending.get(row["id"], {}), **values}
            row.update(values)
            if item["mark"] == Mark.refused:
                batch.scratch(REFUSALS, list).append((evacuation, dict(row), item["reason"]))
        await touch(evacuation.id, batch)

    async def prefetch(self, record_ids: list[uuid.UUID], *, batch: Batch) -> None:
        await _read(record_ids, batch)

    async def flush(self, *, batch: Batch) -> None:
        updates = batch.scratch(UPDATES, dict)
        if updates:
            await update_rows(EvacRow, dict(updates))
            updates.clear()
        await flush_events(batch)
        refusals = batch.scratch(REFUSALS, list)
        told = list(refusals)
        refusals.clear()
        await alerts.refused_many(told)

    @staticmethod
    def labels() -> dict[str, str]:
        return {
            "evac_row": gettext(N_("Evacuation")),
            "evac_row.mark": gettext(N_("Household mark")),
        }

    def locate(self, values: Mapping[str, Any]) -> tuple[str, uuid.UUID | None]:
        return "", None

    def url(self, record_id: uuid.UUID) -> str:
        return f"/evacuations/rows/{record_id}"
