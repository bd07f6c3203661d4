"""A small entity for testing the sync layer on its own: a note with a status and photos."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from piccolo.columns import JSON, UUID, Varchar
from piccolo.table import Table

from server import db
from sync.batch import Batch
from sync.merge import EntityPolicy, FieldRule, Policy
from sync.mutation import Mutation
from sync.store import Adapter, Author, Result, apply


class SyncTestNote(Table):
    id = UUID(primary_key=True)
    title = Varchar(length=200, default="")
    body = Varchar(length=2000, default="")
    status = Varchar(length=20, default="open")
    photos = JSON(default="[]")
    area_path = Varchar(length=255, default="")
    level = Varchar(length=20, default="")


NOTE_POLICY = EntityPolicy(
    entity="note",
    fields={
        "title": FieldRule(Policy.lww),
        "body": FieldRule(Policy.lww),
        "area_path": FieldRule(Policy.lww),
        "level": FieldRule(Policy.lww, roles=frozenset({"station_staff"})),
        "photos": FieldRule(Policy.union),
        "status": FieldRule(Policy.status),
    },
    transitions={"open": frozenset({"done"}), "done": frozenset({"closed", "open"})},
    initial=frozenset({"open"}),
    move_ops=frozenset({"move"}),
)
FIELDS = list(NOTE_POLICY.fields)
#: the batch's scratch: note id -> its values as they are now
NOTES = "notes.values"


class NoteAdapter(Adapter):
    policy = NOTE_POLICY

    async def load(self, record_id: uuid.UUID, *, batch: Batch) -> dict[str, Any] | None:
        """Read once per batch: notes change only through this adapter, so the batch's
        scratch keeps their values (a phone's 20 edits of one note read it once)."""
        kept = batch.scratch(NOTES, dict)
        if record_id not in kept:
            kept[record_id] = (
                await SyncTestNote.select(*[getattr(SyncTestNote, f) for f in FIELDS])
                .where(SyncTestNote.id == record_id)
                .output(load_json=True)
                .first()
            )
        return None if kept[record_id] is None else dict(kept[record_id])

    def clean(self, mutation: Mutation) -> dict[str, Any]:
        return mutation.fields

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
        if "blocked" in author.roles:
            return "this person may not write notes"
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
        if created:
            await SyncTestNote.insert(SyncTestNote(id=record_id, **values))
        else:
            await SyncTestNote.update(
                {getattr(SyncTestNote, k): v for k, v in values.items()}
            ).where(SyncTestNote.id == record_id)
        kept = batch.scratch(NOTES, dict)
        if created or kept.get(record_id) is not None:
            kept[record_id] = {**(kept.get(record_id) or {}), **values}

    async def record(self, *args: Any, batch: Batch) -> None:
        pass

    def locate(self, values: Mapping[str, Any]) -> tuple[str, uuid.UUID | None]:
        return values.get("area_path") or "", None

    def url(self, record_id: uuid.UUID) -> str:
        return f"/notes/{record_id}"


ADAPTERS = {"note": NoteAdapter()}


async def send(
    mutation: Mutation,
    roles: tuple[str, ...] = ("grid_member",),
    person_id: uuid.UUID | None = None,
    now_ms: int = 1_700_000_000_000,
) -> Result:
    database = db.current()
    async with database.write():
        await database.serialize("sync")
        return await apply(mutation, Author(person_id, frozenset(roles)), ADAPTERS, now_ms=now_ms)
