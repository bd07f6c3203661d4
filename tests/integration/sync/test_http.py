"""Sync over HTTP: batches, exactly-once answers, a bad entry that blocks nothing, the scoped
feed, the conflict inbox."""

from __future__ import annotations

import uuid

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.auth import service as auth
from server.directory.demo import DEMO_PASSWORD
from server.directory.kinds import PostKind
from server.syncing import service
from sync.hlc import HLC
from tests.integration.helpers import demo_mobile
from tests.integration.sync.notes import NoteAdapter, SyncTestNote

pytestmark = pytest.mark.db


@pytest.fixture
async def notes(demo):
    await SyncTestNote.create_table(if_not_exists=True)
    await SyncTestNote.delete(force=True)
    service.register(NoteAdapter())
    yield demo
    service.ADAPTERS.pop("note", None)


async def client_for(app: Litestar, kind: PostKind) -> tuple[AsyncTestClient, auth.Viewer]:
    token = await auth.login(await demo_mobile(kind), DEMO_PASSWORD, ip="t", user_agent="t")
    viewer, _ = await auth.authenticate(token)
    client = AsyncTestClient(app=app)
    client.cookies.set("gw_session", token)
    return client, viewer


def envelope(
    device: uuid.UUID, n: int, record: uuid.UUID, op: str = "update", base: int = 0, **fields
) -> dict:
    return {
        "mutation_id": str(uuid.uuid4()),
        "device_id": str(device),
        "epoch": 0,
        "device_seq": n,
        "entity": "note",
        "record_id": str(record),
        "op": op,
        "fields": fields,
        "base_seq": base,
        "hlc": str(HLC(1_700_000_000_000 + n, 0, "p")),
        "phone_time": 1_700_000_000_000,
    }


async def test_batch_applies_in_order_and_exactly_once(app: Litestar, notes) -> None:
    client, viewer = await client_for(app, PostKind.grid_member)
    device, rid = uuid.uuid4(), uuid.uuid4()
    [grid] = viewer.scope.prefixes
    batch = [
        envelope(device, 1, rid, "create", title="t", status="open", area_path=grid),
        {"mutation_id": str(uuid.uuid4()), "entity": "note"},  # unreadable: kept, rejected
        {"no": "id at all"},
        envelope(device, 2, rid, base=0, body="after the bad ones"),
    ]
    async with client:
        first = (await client.post("/sync/mutations", json={"mutations": batch})).json()
        again = (await client.post("/sync/mutations", json={"mutations": batch})).json()
        wrong_type = await client.post(
            "/sync/mutations", content=b"{}", headers={"content-type": "text/plain"}
        )
    verdicts = [r and r["verdict"] for r in first["results"]]
    assert verdicts == ["applied", "rejected", None, "merged"]
    assert [r and r["seq"] for r in again["results"]] == [r and r["seq"] for r in first["results"]]
    assert all(r is None or r["replayed"] for r in again["results"])
    assert wrong_type.status_code == 415
    assert await SyncTestNote.count() == 1


async def test_feed_is_scoped_and_paginated(app: Litestar, notes) -> None:
    member, viewer = await client_for(app, PostKind.grid_member)
    staff, _ = await client_for(app, PostKind.station_staff)
    [grid] = viewer.scope.prefixes
    elsewhere = "/339900/339922/339922002/"
    device = uuid.uuid4()
    batch = [
        envelope(
            device,
            n + 1,
            uuid.uuid4(),
            "create",
            title=f"n{n}",
            status="open",
            area_path=grid if n % 2 else elsewhere,
        )
        for n in range(6)
    ]
    async with member:
        await member.post("/sync/mutations", json={"mutations": batch})
        page = (await member.get("/sync/changes", params={"since": 0, "limit": 2})).json()
        assert len(page["entries"]) == 2 and page["more"]
        rest = (await member.get("/sync/changes", params={"since": page["cursor"]})).json()
        assert len(page["entries"]) + len(rest["entries"]) == 3, "only the grid's notes"
        assert not rest["more"]
    async with staff:
        town = (await staff.get("/sync/changes")).json()
    assert len(town["entries"]) == 3  # the grid lies in the station's town; elsewhere does not


async def test_conflicts_reach_the_author_and_the_station(app: Litestar, notes) -> None:
    member, viewer = await client_for(app, PostKind.grid_member)
    staff, _ = await client_for(app, PostKind.station_staff)
    [grid] = viewer.scope.prefixes
    rid, a, b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with member:
        await member.post(
            "/sync/mutations",
            json={
                "mutations": [
                    envelope(a, 1, rid, "create", title="t", status="open", area_path=grid)
                ]
            },
        )
        await member.post(
            "/sync/mutations", json={"mutations": [envelope(a, 2, rid, base=1, title="A")]}
        )
        result = (
            await member.post(
                "/sync/mutations", json={"mutations": [envelope(b, 1, rid, base=1, title="B")]}
            )
        ).json()["results"][0]
        assert result["verdict"] == "conflicted"
        mine = (await member.get("/sync/conflicts")).text
    async with staff:
        theirs = (await staff.get("/sync/conflicts")).text
    for page in (mine, theirs):
        assert "title" in page and ">A<" not in page
        assert "B" in page


async def test_resolving_is_a_mutation(app: Litestar, notes) -> None:
    from sync.tables import SyncConflict, SyncMutation
    from tests.integration.helpers import post_form

    member, viewer = await client_for(app, PostKind.grid_member)
    staff, _ = await client_for(app, PostKind.station_staff)
    [grid] = viewer.scope.prefixes
    rid, a, b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with member:
        for m in (
            envelope(a, 1, rid, "create", title="t", status="open", area_path=grid),
            envelope(a, 2, rid, base=1, title="A"),
            envelope(b, 1, rid, base=1, title="B"),
        ):
            await member.post("/sync/mutations", json={"mutations": [m]})
    [conflict] = await SyncConflict.select(SyncConflict.id)
    async with staff:
        answer = await post_form(
            staff, f"/sync/conflicts/{conflict['id']}/resolve", {"choice": "other"}
        )
        assert answer.status_code == 303
        again = await post_form(
            staff, f"/sync/conflicts/{conflict['id']}/resolve", {"choice": "keep"}
        )
        assert again.status_code == 409
    note = await SyncTestNote.select(SyncTestNote.title).where(SyncTestNote.id == rid).first()
    assert note["title"] == "B", "the value that had lost is current now"
    row = await SyncConflict.select().where(SyncConflict.id == conflict["id"]).first()
    assert row["resolved_at"] is not None and row["resolution_id"] is not None
    logged = (
        await SyncMutation.select(SyncMutation.op, SyncMutation.verdict)
        .where(SyncMutation.id == row["resolution_id"])
        .first()
    )
    assert logged == {"op": "resolve", "verdict": "applied"}
    async with member:
        outsider = await post_form(member, f"/sync/conflicts/{uuid.uuid4()}/resolve", {})
    assert outsider.status_code == 404


async def test_gzipped_batches(app: Litestar, notes) -> None:
    import gzip

    client, viewer = await client_for(app, PostKind.grid_member)
    [grid] = viewer.scope.prefixes
    body = {
        "mutations": [
            envelope(
                uuid.uuid4(), 1, uuid.uuid4(), "create", title="压缩", status="open", area_path=grid
            )
        ]
    }
    import json

    packed = gzip.compress(json.dumps(body).encode())
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    bomb = gzip.compress(b'{"mutations": [' + b" " * (20 * 1024 * 1024) + b"]}")
    async with client:
        ok = await client.post("/sync/mutations", content=packed, headers=headers)
        damaged = await client.post("/sync/mutations", content=packed[:-9], headers=headers)
        huge = await client.post("/sync/mutations", content=bomb, headers=headers)
    assert ok.json()["results"][0]["verdict"] == "applied"
    assert damaged.status_code == 400
    assert huge.status_code == 413
