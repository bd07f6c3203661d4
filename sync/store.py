"""Applying a mutation exactly once, inside the caller's write transaction.

The caller opens one write transaction, makes sync writers run one at a time (an advisory
lock on PostgreSQL; SQLite writers are serial already), then calls `apply()`:
  1. already applied -> the stored outcome, nothing else;
  2. validate: the envelope's bounds (sync/mutation.py), the entity is known, a create does
     not land on an existing record, nothing moves the record unless its op is for moving,
     and the domain accepts the author's *current* posts and scope *as the record is stored*;
  3. merge with what changed since base_seq (sync/merge.py);
  4. write the domain change through the entity's adapter;
  5. append to the change feed (seq, and a removal if the record left a scope);
  6. record the outcome, history and conflicts.
A rejection is an outcome like any other: stored with its payload, returned, never blocking.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec

from sync import devices
from sync.batch import Batch
from sync.hlc import HLC, clamp
from sync.merge import EntityPolicy, FieldState, Incoming, Outcome, RecordState, Verdict, merge
from sync.mutation import Mutation, storable
from sync.tables import SyncChange, SyncConflict, SyncHistory, SyncRecord

SERVER_NODE = "server"


@dataclass(frozen=True)
class Author:
    person_id: uuid.UUID | None
    #: post kinds held *now*
    roles: frozenset[str]
    #: the domain's own view of the person (name, scope); opaque to sync
    principal: Any = None


class Adapter(Protocol):
    """What a domain provides for each entity it lets phones write. A domain's adapter
    subclasses this: the hooks with a body here are optional. Every hook that reads or
    writes the database gets the `Batch` it runs in: what an adapter keeps between its
    mutations goes in `batch.scratch(...)`, which ends with the batch."""

    policy: EntityPolicy

    async def prefetch(self, record_ids: list[uuid.UUID], *, batch: Batch) -> None:
        """Read a group's records at once, before its mutations are applied one by one."""

    async def flush(self, *, batch: Batch) -> None:
        """Write what the adapter kept for the end of the group, in its transaction."""

    def labels(self) -> dict[str, str]:
        """What to call the entity and its ops on the phone ("hazard.report": "上报隐患")."""
        return {}

    async def load(self, record_id: uuid.UUID, *, batch: Batch) -> dict[str, Any] | None:
        """Current values of the policy's fields, or None if the record does not exist."""

    def clean(self, mutation: Mutation) -> dict[str, Any]:
        """The fields to merge, typed and checked as the domain stores them (a form sends
        strings); ValueError says what is wrong, and the mutation is rejected with it."""

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
        """Why this author may not make this change now ("" when they may)."""

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
        """Write the changed values (and, when created, make the record)."""

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
        """After the merge (applied, merged or conflicted, not rejected): the domain's own
        trace of what happened, e.g. a timeline event, in the same transaction."""

    def locate(self, values: Mapping[str, Any]) -> tuple[str, uuid.UUID | None]:
        """The record's area path and assignee, for the scoped feed."""

    def url(self, record_id: uuid.UUID) -> str:
        """The page to refresh on the phone."""


@dataclass(frozen=True)
class Result:
    """What the phone gets back for one mutation."""

    mutation_id: uuid.UUID
    verdict: str
    seq: int
    record_seq: int
    reason: str = ""
    conflicts: int = 0
    #: the phone moves its clock past this
    hlc: str = ""
    replayed: bool = False

    @property
    def accepted(self) -> bool:
        """Applied, merged or conflicted (kept, with the conflict to settle): not refused."""
        return self.verdict != Verdict.rejected.value


async def apply(
    mutation: Mutation,
    author: Author,
    adapters: Mapping[str, Adapter],
    *,
    now_ms: int,
    batch: Batch | None = None,
    track_device: bool = True,
) -> Result:
    """Apply one mutation. A batch passes one `Batch` for all its mutations (and flushes it
    before committing) and notes the devices itself (`track_device=False`)."""
    if batch is None:
        batch = Batch()
        result = await apply(
            mutation, author, adapters, now_ms=now_ms, batch=batch, track_device=track_device
        )
        await batch.flush()
        for each in adapters.values():
            await each.flush(batch=batch)
        return result
    stored = await batch.logged(mutation.mutation_id)
    if stored is not None and not _same_write(stored, mutation, author):
        # (1a) the id of another write: refused on a derived id of its own, so this one is
        # kept in the log with its payload and a retry of it is answered the same again
        mutation = msgspec.structs.replace(mutation, mutation_id=_reused_id(mutation, author))
        stored = await batch.logged(mutation.mutation_id)
        if stored is None:
            return await _log_rejection(mutation, author, REUSED_ID, now_ms=now_ms, batch=batch)
    if stored is not None:  # (1) a retry after a lost answer: the same outcome again
        version = await batch.version(stored["record_id"])
        return Result(
            stored["id"],
            stored["verdict"],
            stored["seq"],
            version["seq"] if version else 0,
            stored["reason"],
            replayed=True,
            hlc=str(HLC(now_ms, 0, SERVER_NODE)),
        )
    seq = await batch.next_seq()
    hlc, skew = clamp(HLC.parse(mutation.hlc), now_ms)
    if track_device:
        await devices.saw(mutation, author.person_id)
    adapter = adapters.get(mutation.entity)
    current = await adapter.load(mutation.record_id, batch=batch) if adapter else None
    fields, reason = await _check(adapter, mutation, author, current, batch)  # (2)
    outcome = Outcome(Verdict.rejected, reason=reason)
    record_seq = 0
    if adapter is not None and not reason:
        meta = await batch.version(mutation.record_id)
        outcome = merge(
            _state(current, meta),
            Incoming(  # (3)
                fields,
                _base_seq(mutation, meta),
                str(hlc),
                author.roles,
                creating=mutation.op in adapter.policy.create_ops,
            ),
            adapter.policy,
        )
        record_seq = meta["seq"] if meta else 0
        if outcome.changes:
            await adapter.save(
                mutation.record_id,
                outcome.changes,
                created=current is None,
                author=author,
                seq=seq,
                mutation=mutation,
                batch=batch,
            )  # (4)
            values = {**(current or {}), **outcome.changes}
            _feed(batch, adapter, mutation, values, meta, seq, str(hlc), outcome)  # (5)
            record_seq = seq
        if outcome.verdict is not Verdict.rejected:
            await adapter.record(mutation, fields, outcome, author, seq, now_ms, batch=batch)
        await _keep(batch, mutation, outcome, seq, author, adapter, current, meta)  # (6)
    batch.log(
        id=mutation.mutation_id,
        seq=seq,
        device_id=mutation.device_id,
        epoch=mutation.epoch,
        device_seq=mutation.device_seq,
        person_id=author.person_id,
        roles=sorted(author.roles),
        entity=mutation.entity[:40],
        record_id=mutation.record_id,
        op=mutation.op[:40],
        payload=_payload(mutation),
        verdict=outcome.verdict.value,
        reason=outcome.reason[:500],
        hlc=str(hlc),
        skew_ms=skew,
        phone_time_ms=mutation.phone_time,
        received_ms=now_ms,
    )
    return Result(
        mutation.mutation_id,
        outcome.verdict.value,
        seq,
        record_seq,
        outcome.reason,
        len(outcome.conflicts),
        str(HLC(max(now_ms, hlc.wall), 0, SERVER_NODE)),
    )


#: reasons the engine gives itself (message ids: the app translates them)
EXISTS = "This record exists already: a new one cannot take its id."
MOVED = "A record moves to another area only by the action made for moving it."
REUSED_ID = "This write reused the id of another write: it was not applied, and it is kept."


def _same_write(stored: Mapping[str, Any], mutation: Mutation, author: Author) -> bool:
    """A retry is the same write by the same person: same record, op and fields (the
    envelope's position, clock and time may differ: a form sent twice is re-enqueued)."""
    payload = stored.get("payload") or {}
    return (
        stored.get("person_id") == author.person_id
        and str(stored.get("record_id")) == str(mutation.record_id)
        and payload.get("entity") == mutation.entity
        and payload.get("op") == mutation.op
        and payload.get("fields") == msgspec.to_builtins(mutation.fields)
    )


def _reused_id(mutation: Mutation, author: Author) -> uuid.UUID:
    what = [str(author.person_id), mutation.entity, str(mutation.record_id), mutation.op]
    digest = msgspec.json.encode([*what, msgspec.to_builtins(mutation.fields)])
    return uuid.uuid5(mutation.mutation_id, digest.decode())


def _existence(
    adapter: Adapter, mutation: Mutation, current: dict[str, Any] | None, fields: dict[str, Any]
) -> str:
    """Rules of every entity, judged on the record as stored, never on what the mutation
    says about it: a create cannot land on an existing record (it would overwrite and move
    it), and a change cannot move a record to another area unless its op is for moving."""
    if current is None:
        return ""
    if mutation.op in adapter.policy.create_ops:
        return EXISTS
    if mutation.op not in adapter.policy.move_ops:
        before, _ = adapter.locate(current)
        after, _ = adapter.locate({**current, **fields})
        if before != after:
            return MOVED
    return ""


def _base_seq(mutation: Mutation, meta: Mapping[str, Any] | None) -> int:
    """A phone cannot have seen a version the record never had: a base_seq beyond the
    record's own seq counts as having seen nothing, so every concurrent change is judged."""
    seq = meta["seq"] if meta else 0
    return mutation.base_seq if mutation.base_seq <= seq else 0


async def _check(
    adapter: Adapter | None,
    mutation: Mutation,
    author: Author,
    current: dict[str, Any] | None,
    batch: Batch,
) -> tuple[dict[str, Any], str]:
    """The cleaned fields and why the mutation is refused ("" when it is not)."""
    if adapter is None:
        return {}, f"unknown entity {mutation.entity!r}"
    try:
        fields = adapter.clean(mutation)
    except ValueError as exc:
        return {}, str(exc) or "invalid fields"
    if reason := _existence(adapter, mutation, current, fields):
        return fields, reason
    return fields, await adapter.refuse(
        author, mutation.record_id, current, mutation, fields, batch=batch
    )


async def reject_raw(
    raw: Any, reason: str, author: Author, *, now_ms: int, batch: Batch
) -> Result | None:
    """An envelope that could not be read: kept with its payload when it names its id,
    so the phone hears why and the person can see what they sent. None: no id to key on."""
    try:
        mutation_id = uuid.UUID(str(raw.get("mutation_id")))
    except (AttributeError, ValueError):
        return None
    stored = await batch.logged(mutation_id)
    if stored is not None:
        return Result(mutation_id, stored["verdict"], stored["seq"], 0, reason, replayed=True)
    device_id, record_id = (_uuid_or_zero(raw.get(k)) for k in ("device_id", "record_id"))
    seq = await batch.next_seq()
    batch.log(
        id=mutation_id,
        seq=seq,
        device_id=device_id,
        person_id=author.person_id,
        roles=sorted(author.roles),
        entity=storable(str(raw.get("entity", "")))[:40],
        record_id=record_id,
        op=storable(str(raw.get("op", "")))[:40],
        payload=storable(dict(raw)),
        verdict=Verdict.rejected.value,
        reason=reason[:500],
        hlc="",
        received_ms=now_ms,
    )
    return Result(mutation_id, Verdict.rejected.value, seq, 0, reason)


async def _log_rejection(
    mutation: Mutation, author: Author, reason: str, *, now_ms: int, batch: Batch
) -> Result:
    """A readable mutation refused before any domain rule ran, kept like any rejection."""
    return await reject_raw(_payload(mutation), reason, author, now_ms=now_ms, batch=batch)  # type: ignore[return-value]


def _uuid_or_zero(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.UUID(int=0)


def _payload(mutation: Mutation) -> dict[str, Any]:
    return msgspec.to_builtins(mutation)


def _state(current: dict[str, Any] | None, meta: dict[str, Any] | None) -> RecordState | None:
    if current is None:
        return None
    known = (meta or {}).get("fields") or {}
    fields = {
        name: FieldState(value, *(known.get(name) or (0, ""))) for name, value in current.items()
    }
    return RecordState(fields, meta["seq"] if meta else 0)


def _feed(
    batch: Batch,
    adapter: Adapter,
    mutation: Mutation,
    values: dict[str, Any],
    meta: dict[str, Any] | None,
    seq: int,
    hlc: str,
    outcome: Outcome,
) -> None:
    path, assignee = adapter.locate(values)
    fields = dict((meta or {}).get("fields") or {})
    for name in outcome.changes:
        fields[name] = [seq, hlc]
    url = adapter.url(mutation.record_id)
    batch.set_version(
        mutation.record_id,
        {
            "id": meta["id"] if meta else uuid.uuid4(),
            "entity": mutation.entity,
            "record_id": mutation.record_id,
            "seq": seq,
            "fields": fields,
            "scope_path": path,
        },
    )
    if meta is not None and meta["scope_path"] != path:  # gone from the old scope
        batch.add(SyncChange, **_change(seq, mutation, url, meta["scope_path"], None, removed=True))
    batch.add(SyncChange, **_change(seq, mutation, url, path, assignee, removed=False))


def _change(
    seq: int, mutation: Mutation, url: str, path: str, assignee: uuid.UUID | None, *, removed: bool
) -> dict[str, Any]:
    return dict(
        # two positions per seq: a removal (if any) comes just before the upsert
        pos=seq * 2 + (0 if removed else 1),
        seq=seq,
        entity=mutation.entity,
        record_id=mutation.record_id,
        url=url,
        scope_path=path,
        assignee_id=assignee,
        removed="y" if removed else "",
    )


async def _keep(
    batch: Batch,
    mutation: Mutation,
    outcome: Outcome,
    seq: int,
    author: Author,
    adapter: Adapter,
    current: dict[str, Any] | None,
    meta: Mapping[str, Any] | None,
) -> None:
    """Nothing submitted is lost: losing values go to history, contests to the inbox of
    both people, the one who sent the incoming value and the one who wrote the stored one."""
    for loser in outcome.losers:
        batch.add(
            SyncHistory,
            seq=seq,
            entity=mutation.entity,
            record_id=mutation.record_id,
            field=loser.field,
            value={"value": loser.value},
            hlc=loser.hlc,
            source=loser.source,
            mutation_id=mutation.mutation_id,
        )
    if not outcome.conflicts:
        return
    path, _ = adapter.locate({**(current or {}), **outcome.changes})
    known = (meta or {}).get("fields") or {}
    for c in outcome.conflicts:
        then = (known.get(c.field) or (0, ""))[0]
        batch.add(
            SyncConflict,
            seq=seq,
            entity=mutation.entity,
            record_id=mutation.record_id,
            field=c.field,
            kind=c.kind.value,
            server_value={"value": c.server_value},
            incoming_value={"value": c.incoming_value},
            server_hlc=c.server_hlc,
            incoming_hlc=c.incoming_hlc,
            winner=c.winner,
            mutation_id=mutation.mutation_id,
            person_id=author.person_id,
            server_person_id=await batch.author_at(then) if then else None,
            scope_path=path,
        )


class AlreadyResolved(Exception):
    """The conflict was settled before."""


async def resolve(
    conflict_id: uuid.UUID,
    choice: str,
    author: Author,
    adapters: Mapping[str, Adapter],
    *,
    now_ms: int,
) -> Result:
    """Settle a conflict by keeping the current value or taking the other one. Resolving is
    itself a mutation (op "resolve"), logged like any other; its id is derived from the
    conflict, so resolving twice is one mutation."""
    row = (
        await SyncConflict.select()
        .where(SyncConflict.id == conflict_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise LookupError("no such conflict")
    if row["resolved_at"] is not None:
        raise AlreadyResolved(str(conflict_id))
    other = row["incoming_value"] if row["winner"] == "server" else row["server_value"]
    take = choice == "other" and row["kind"] != "status"  # an illegal status is never forced
    record = (
        await SyncRecord.select(SyncRecord.seq)
        .where(SyncRecord.record_id == row["record_id"])
        .first()
    )
    mutation = Mutation(
        mutation_id=uuid.uuid5(conflict_id, "resolve"),
        device_id=uuid.UUID(int=0),
        device_seq=1,
        entity=row["entity"],
        record_id=row["record_id"],
        op="resolve",
        fields={row["field"]: other["value"]} if take else {},
        base_seq=record["seq"] if record else 0,
        hlc=str(HLC(now_ms, 0, SERVER_NODE)),
    )
    result = await apply(mutation, author, adapters, now_ms=now_ms)
    if result.verdict != Verdict.rejected.value:
        await SyncConflict.update(
            {
                SyncConflict.resolved_at: datetime.now(UTC),
                SyncConflict.resolved_by: author.person_id,
                SyncConflict.resolution_id: mutation.mutation_id,
            }
        ).where(SyncConflict.id == conflict_id)
    return result
