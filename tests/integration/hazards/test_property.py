"""The hazard's merge policies under a bad network (a Hypothesis state machine): a grid
member's phone, a second phone and the station's desk act on shared hazards from stale
views; mutations are delivered late, out of order, twice, or their answers are lost.

After every step: no illegal status is stored (each change is a step of TRANSITIONS) and no
hazard is closed without an after-photo. After healing: every mutation is in the log
exactly once; every photo a mutation that was not rejected carried is on its hazard
(evidence after closure included: an addendum, never lost); a rejection has a reason.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from dataclasses import dataclass, field
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from server.auth.service import Viewer
from server.db import Database, activate
from server.hazards.adapter import HazardAdapter
from server.hazards.policy import TRANSITIONS, Status
from server.hazards.tables import Hazard, HazardEvent, HazardNotice
from server.syncing import service as syncing
from sync.hlc import HLC
from sync.tables import (
    SyncChange,
    SyncConflict,
    SyncDevice,
    SyncHistory,
    SyncMutation,
    SyncRecord,
)
from tests.integration.hazards.people import GRID_MEMBER, STATION, report_fields, viewer

pytestmark = pytest.mark.db

YEAR_MS = 365 * 86_400_000
SYNC_TABLES = (SyncMutation, SyncRecord, SyncChange, SyncHistory, SyncConflict, SyncDevice)
OPS = {
    "station": [
        ("accept", {}),
        ("reject", {"reject_reason": "not_hazard"}),
        ("assign", {"assignee_unit": "物业", "measures": "整改", "deadline": "2030-01-01"}),
        ("verify", {"verify_note": "合格"}),
        ("send_back", {"sendback_reason": "不合格"}),
        ("note", {"notes": "已电话督促"}),
    ],
    "phone": [
        ("rectify", {"rectify_note": "已整改", "photos_after": "new"}),
        ("add_photos", {"photos_before": "new"}),
        ("request_extension", {"extension_until": "2030-02-01", "extension_reason": "雨"}),
        ("note", {"notes": "现场查看"}),
        ("accept", {}),  # refused: a grid member does not triage
    ],
}
FAULTS = st.sampled_from(["ok", "ok", "ok", "drop_answer", "duplicate", "drop_request"])


@dataclass
class Actor:
    name: str
    kind: str  # "station" or "phone"
    viewer: Viewer
    offset_ms: int = 0
    outbox: list[dict] = field(default_factory=list)
    view: dict[uuid.UUID, int] = field(default_factory=dict)
    seq: int = 0


class HazardMachine(RuleBasedStateMachine):
    people: ClassVar[dict[str, Viewer]] = {}
    database_url = ""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.db = Database(self.database_url, pool=False)
        activate(self.db)
        syncing.register(HazardAdapter())
        self.run(self._empty())
        self.counter = itertools.count(1)
        self.now = 1_790_000_000_000
        self.hazards: list[uuid.UUID] = []
        self.created: list[dict] = []
        self.last_status: dict[uuid.UUID, str] = {}
        self.actors: list[Actor] = []

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.heal()
        self.loop.close()

    async def _empty(self) -> None:
        async with self.db.write():
            for table in (*SYNC_TABLES, Hazard, HazardEvent, HazardNotice):
                await table.delete(force=True)

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=next(self.counter))

    @initialize(offsets=st.lists(st.integers(-YEAR_MS, YEAR_MS), min_size=3, max_size=3))
    def hazards_reported(self, offsets: list[int]) -> None:
        self.actors = [
            Actor("grid", "phone", self.people["grid"], offsets[0]),
            Actor("grid-2", "phone", self.people["grid"], offsets[1]),  # a second phone
            Actor("station", "station", self.people["station"], offsets[2]),
        ]
        grid = self.actors[0]
        for level in ("general", "general", "major"):
            record_id = self.new_id()
            self.hazards.append(record_id)
            self._enqueue(grid, record_id, "report", report_fields(grid.viewer, level=level))
            self._submit(grid.outbox.pop(0), grid)
        for actor in self.actors:
            self._pull(actor)

    def _enqueue(self, actor: Actor, record_id: uuid.UUID, op: str, fields: dict) -> None:
        self.now += 1000
        actor.seq += 1
        fields = {k: [f"{next(self.counter):064x}"] if v == "new" else v for k, v in fields.items()}
        raw = {
            "mutation_id": str(self.new_id()),
            "device_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, actor.name)),
            "device_seq": actor.seq,
            "entity": "hazard",
            "record_id": str(record_id),
            "op": op,
            "base_seq": actor.view.get(record_id, 0),
            "fields": fields,
            "hlc": str(HLC(self.now + actor.offset_ms, 0, actor.name)),
            "phone_time": self.now + actor.offset_ms,
        }
        actor.outbox.append(raw)
        self.created.append(raw)

    def _submit(self, raw: dict, actor: Actor) -> None:
        result = self.run(syncing.submit(raw, actor.viewer))
        assert result is not None and (result.verdict != "rejected" or result.reason)

    def _pull(self, actor: Actor) -> None:
        rows = self.run(Hazard.select(Hazard.id, Hazard.seq))
        actor.view = {r["id"]: r["seq"] for r in rows}

    @rule(who=st.integers(0, 2), which=st.integers(0, 2), pick=st.integers(0, 5))
    def act(self, who: int, which: int, pick: int) -> None:
        actor = self.actors[who]
        op, fields = OPS[actor.kind][pick % len(OPS[actor.kind])]
        self._enqueue(actor, self.hazards[which], op, dict(fields))

    @rule(who=st.integers(0, 2), position=st.integers(0, 10), fault=FAULTS)
    def deliver(self, who: int, position: int, fault: str) -> None:
        actor = self.actors[who]
        if not actor.outbox or fault == "drop_request":
            return
        # Phones send in order; the desk's requests may overtake each other.
        index = 0 if actor.kind == "phone" else position % len(actor.outbox)
        raw = actor.outbox[index]
        self._submit(raw, actor)
        if fault == "duplicate":
            self._submit(raw, actor)
        if fault != "drop_answer":  # a lost answer: the phone sends it again later
            actor.outbox.pop(index)

    @rule(who=st.integers(0, 2))
    def pull(self, who: int) -> None:
        self._pull(self.actors[who])

    @invariant()
    def only_legal_steps_and_no_closure_without_evidence(self) -> None:
        if not self.hazards:
            return
        rows = self.run(
            Hazard.select(Hazard.id, Hazard.status, Hazard.photos_after).output(load_json=True)
        )
        for row in rows:
            before = self.last_status.get(row["id"])
            now = row["status"]
            assert now in Status.__members__
            if before is not None and before != now:
                assert Status(now) in TRANSITIONS[Status(before)], (before, now)
            if now == Status.closed.value:
                assert row["photos_after"], "closed without an after-photo"
            self.last_status[row["id"]] = now

    def heal(self) -> None:
        for actor in self.actors:
            while actor.outbox:
                self._submit(actor.outbox.pop(0), actor)
        log = {r["id"]: r for r in self.run(SyncMutation.select())}
        assert len(log) >= len({m["mutation_id"] for m in self.created})
        hazards = {r["id"]: r for r in self.run(Hazard.select().output(load_json=True))}
        for raw in self.created:
            entry = log[uuid.UUID(raw["mutation_id"])]  # exactly once: the id is the key
            if entry["verdict"] == "rejected":
                assert entry["reason"]
                continue
            hazard = hazards[uuid.UUID(raw["record_id"])]
            for name in ("photos_before", "photos_after"):
                have = {p["id"] for p in hazard[name]}
                assert set(raw["fields"].get(name, [])) <= have, (raw["op"], name)


def _run(database_url: str, people: dict, examples: int) -> None:
    HazardMachine.database_url = database_url
    HazardMachine.people = people
    test = HazardMachine.TestCase
    test.settings = settings(
        derandomize=os.environ.get("CI") == "true",
        max_examples=examples,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    test().runTest()


async def test_hazards_on_a_bad_network(database_url: str, demo) -> None:
    people = {"grid": await viewer(GRID_MEMBER), "station": await viewer(STATION)}
    await asyncio.to_thread(_run, database_url, people, 40)


@pytest.mark.slow
async def test_hazards_on_a_bad_network_long(database_url: str, demo) -> None:
    people = {"grid": await viewer(GRID_MEMBER), "station": await viewer(STATION)}
    await asyncio.to_thread(_run, database_url, people, 400)
