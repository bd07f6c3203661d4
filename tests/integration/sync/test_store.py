"""The apply pipeline against a real database: exactly once, merges, conflicts, the feed,
device loss, and rebuilding the state by replaying the log."""

from __future__ import annotations

import uuid

import pytest

from sync.hlc import HLC
from sync.mutation import Mutation, decode
from sync.store import MOVED, Author, apply
from sync.tables import (
    SyncAlert,
    SyncChange,
    SyncConflict,
    SyncDevice,
    SyncHistory,
    SyncMutation,
    SyncRecord,
)
from tests.integration.sync.notes import ADAPTERS, SyncTestNote, send

pytestmark = pytest.mark.db
NOW = 1_700_000_000_000
TOWN = "/339900/339901/339901001/"


@pytest.fixture
async def notes(database):
    await SyncTestNote.create_table(if_not_exists=True)
    await SyncTestNote.delete(force=True)
    return database


class Phone:
    """A device making mutations the way the outbox does."""

    def __init__(self, epoch: int = 0, clock_offset_ms: int = 0) -> None:
        self.device_id = uuid.uuid4()
        self.epoch = epoch
        self.n = 0
        self.offset = clock_offset_ms

    def mutation(
        self, record_id: uuid.UUID, base_seq: int, op: str = "update", at: int = NOW, **fields
    ) -> Mutation:
        self.n += 1
        return Mutation(
            mutation_id=uuid.uuid4(),
            device_id=self.device_id,
            epoch=self.epoch,
            device_seq=self.n,
            entity="note",
            record_id=record_id,
            op=op,
            fields=fields,
            base_seq=base_seq,
            hlc=str(HLC(at + self.offset, 0, str(self.device_id)[:8])),
            phone_time=at + self.offset,
        )


async def note(record_id: uuid.UUID) -> dict:
    return (
        await SyncTestNote.select()
        .where(SyncTestNote.id == record_id)
        .output(load_json=True)
        .first()
    )


async def test_create_update_and_replay_exactly_once(notes) -> None:
    phone, rid = Phone(), uuid.uuid4()
    create = phone.mutation(rid, 0, "create", title="堤防渗漏", status="open", area_path=TOWN)
    first = await send(create)
    assert first.verdict == "applied" and first.record_seq == first.seq
    again = await send(create)  # the answer was lost; the outbox sends it again
    assert again.replayed and again.seq == first.seq and again.verdict == "applied"
    edit = await send(phone.mutation(rid, first.record_seq, body="左岸 K1+200"))
    assert edit.verdict == "applied" and edit.seq > first.seq
    assert (await note(rid))["body"] == "左岸 K1+200"
    assert await SyncMutation.count() == 2
    assert await SyncTestNote.count() == 1


async def test_rejection_is_kept_and_blocks_nothing(notes) -> None:
    phone, rid = Phone(), uuid.uuid4()
    await send(phone.mutation(rid, 0, "create", title="a", status="open"))
    bad = await send(phone.mutation(rid, 1, colour="red"))
    assert bad.verdict == "rejected" and "unknown field" in bad.reason
    row = (
        await SyncMutation.select()
        .where(SyncMutation.id == bad.mutation_id)
        .output(load_json=True)
        .first()
    )
    assert row["payload"]["fields"] == {"colour": "red"}, "the payload is kept"
    after = await send(phone.mutation(rid, 1, title="b"))
    assert after.verdict == "applied" and (await note(rid))["title"] == "b"
    refused = await send(phone.mutation(rid, 1, title="c"), roles=("blocked",))
    assert refused.verdict == "rejected" and "may not" in refused.reason


async def test_authority_is_judged_on_current_posts(notes) -> None:
    phone, rid = Phone(), uuid.uuid4()
    await send(phone.mutation(rid, 0, "create", title="a", status="open"))
    as_member = await send(phone.mutation(rid, 1, level="重大"), roles=("grid_member",))
    assert as_member.verdict == "rejected"
    as_staff = await send(phone.mutation(rid, 1, level="重大"), roles=("station_staff",))
    assert as_staff.verdict == "applied"


async def test_concurrent_edits_conflict_and_merge(notes) -> None:
    a, b, rid = Phone(), Phone(), uuid.uuid4()
    created = await send(a.mutation(rid, 0, "create", title="t0", body="b0", status="open"))
    base = created.record_seq
    await send(a.mutation(rid, base, title="from A", at=NOW + 2_000))
    late = await send(b.mutation(rid, base, title="from B", at=NOW + 1_000))
    assert late.verdict == "conflicted" and late.conflicts == 1
    assert (await note(rid))["title"] == "from A", "the later HLC wins"
    [lost] = (
        await SyncHistory.select()
        .where((SyncHistory.record_id == rid) & (SyncHistory.source == "incoming"))
        .output(load_json=True)
    )
    assert (lost["value"]["value"], lost["source"]) == ("from B", "incoming"), "kept"
    [conflict] = (
        await SyncConflict.select().where(SyncConflict.record_id == rid).output(load_json=True)
    )
    assert conflict["server_value"]["value"] == "from A"
    assert conflict["incoming_value"]["value"] == "from B"
    other = await send(b.mutation(rid, base, body="b from B"))
    assert other.verdict == "merged" and (await note(rid))["body"] == "b from B"


async def test_status_after_closure_is_an_addendum(notes) -> None:
    phone, rid = Phone(), uuid.uuid4()
    r = await send(phone.mutation(rid, 0, "create", title="t", status="open"))
    r = await send(phone.mutation(rid, r.record_seq, status="done"))
    r = await send(phone.mutation(rid, r.record_seq, status="closed"))
    late = await send(Phone().mutation(rid, 1, status="done"))
    assert late.verdict == "conflicted"
    assert (await note(rid))["status"] == "closed", "never applied blindly"
    history = (
        await SyncHistory.select(SyncHistory.value, SyncHistory.source)
        .where(SyncHistory.field == "status")
        .order_by(SyncHistory.seq)
        .output(load_json=True)
    )
    assert [(h["value"]["value"], h["source"]) for h in history] == [
        ("open", "server"),
        ("done", "server"),
        ("done", "incoming"),
    ]


async def test_phone_clock_a_year_ahead_is_clamped(notes) -> None:
    year = 365 * 86_400_000
    fast, honest, rid = Phone(clock_offset_ms=year), Phone(), uuid.uuid4()
    created = await send(honest.mutation(rid, 0, "create", title="t", status="open"))
    await send(fast.mutation(rid, created.record_seq, title="fast"), now_ms=NOW)
    row = (
        await SyncMutation.select(SyncMutation.skew_ms)
        .order_by(SyncMutation.seq, ascending=False)
        .first()
    )
    assert row["skew_ms"] >= year - 5 * 60_000
    # A later honest edit, concurrent with the fast one, still wins.
    await send(
        honest.mutation(rid, created.record_seq, title="honest", at=NOW + 10_000),
        now_ms=NOW + 10_000,
    )
    assert (await note(rid))["title"] == "honest"


async def test_change_feed_and_leaving_a_scope(notes) -> None:
    phone, rid = Phone(), uuid.uuid4()
    r = await send(phone.mutation(rid, 0, "create", title="t", status="open", area_path=TOWN))
    other = "/339900/339901/339901002/"
    moved = await send(phone.mutation(rid, r.record_seq, area_path=other))
    assert moved.verdict == "rejected" and moved.reason == MOVED, "only a move op moves"
    await send(phone.mutation(rid, r.record_seq, "move", area_path=other))
    entries = await SyncChange.select().order_by(SyncChange.pos)
    assert [(e["scope_path"], e["removed"]) for e in entries] == [
        (TOWN, ""),
        (TOWN, "y"),
        (other, ""),
    ]
    assert all(e["url"] == f"/notes/{rid}" for e in entries)
    positions = [e["pos"] for e in entries]
    assert positions == sorted(set(positions)), "strictly increasing"


async def test_device_loss_raises_an_alert(notes) -> None:
    phone, rid = Phone(), uuid.uuid4()
    await send(phone.mutation(rid, 0, "create", title="t", status="open"))
    from sync.devices import announce

    await announce(phone.device_id, 0, 4, None)  # 3 more were queued on the phone...
    phone.epoch, phone.n = 1, 0  # ...which then lost its storage
    await send(phone.mutation(rid, 1, title="after wipe"))
    [alert] = await SyncAlert.select().output(load_json=True)
    assert alert["kind"] == "device_loss" and alert["detail"]["missing"] == [[2, 4]]


async def test_replaying_the_log_rebuilds_the_state(notes) -> None:
    phones, rids = [Phone(), Phone(), Phone()], [uuid.uuid4() for _ in range(3)]
    for i, rid in enumerate(rids):
        await send(
            phones[i].mutation(
                rid,
                0,
                "create",
                title=f"t{i}",
                status="open",
                area_path=TOWN,
                photos=[{"id": f"p{i}"}],
            )
        )
    for step in range(12):
        phone, rid = phones[step % 3], rids[(step * 2) % 3]
        base = step // 2  # some stale, some fresh: applies, merges and conflicts
        fields = [
            {"title": f"s{step}"},
            {"status": "done"},
            {"photos": [{"id": f"q{step}"}]},
            {"body": f"b{step}"},
        ][step % 4]
        await send(
            phone.mutation(rid, base, at=NOW + step * 997, **fields), now_ms=NOW + step * 1_000
        )
    before = await _state()
    log = await SyncMutation.select().order_by(SyncMutation.seq).output(load_json=True)
    for table in (
        SyncTestNote,
        SyncRecord,
        SyncChange,
        SyncHistory,
        SyncConflict,
        SyncMutation,
        SyncDevice,
    ):
        await table.delete(force=True)
    for row in log:
        async with notes.write():
            await notes.serialize("sync")
            await apply(
                decode(row["payload"]),
                Author(row["person_id"], frozenset(row["roles"])),
                ADAPTERS,
                now_ms=row["received_ms"],
            )
    assert await _state() == before


async def _state() -> tuple:
    notes_ = await SyncTestNote.select().order_by(SyncTestNote.id).output(load_json=True)
    records = (
        await SyncRecord.select(
            SyncRecord.record_id,
            SyncRecord.seq,
            SyncRecord.fields,
        )
        .order_by(SyncRecord.record_id)
        .output(load_json=True)
    )
    history = await SyncHistory.count()
    conflicts = await SyncConflict.count()
    return notes_, records, history, conflicts
