"""The server is killed (SIGKILL) in the middle of a batch; restarted, the phone sends the
whole batch again: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest

from server.directory.demo import DEMO_PASSWORD
from server.settings import sqlite_path
from sync.hlc import HLC
from tests.live import live_server

pytestmark = pytest.mark.db
NOTES, EDITS = 50, 19  # 1,000 mutations: long enough to be killed in the middle
BATCH = 100


def batch() -> list[dict]:
    device = str(uuid.uuid4())
    out, n = [], 0
    for k in range(NOTES):
        record = str(uuid.uuid4())
        for e in range(EDITS + 1):
            n += 1
            fields = (
                {"title": f"n{k}", "status": "open", "area_path": "/339900/", "photos": []}
                if e == 0
                else {"photos": [{"id": f"{k}-{e}"}]}
                if e % 2
                else {"title": f"n{k}e{e}"}
            )
            out.append(
                {
                    "mutation_id": str(uuid.uuid4()),
                    "device_id": device,
                    "device_seq": n,
                    "entity": "note",
                    "record_id": record,
                    "op": "create" if e == 0 else "update",
                    "fields": fields,
                    "base_seq": 0,
                    "hlc": str(HLC(1_790_000_000_000 + n, 0, "phone")),
                    "epoch": 0,
                }
            )
    return out


async def _query(url: str, sql: str) -> list:
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(sqlite_path(url)) as conn:
            return conn.execute(sql).fetchall()
    conn = await asyncpg.connect(url)
    try:
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


def query(url: str, sql: str) -> list:
    return asyncio.run(_query(url, sql))


def push(client: httpx.Client, mutations: list[dict]) -> list[dict]:
    results: list[dict] = []
    while len(results) < len(mutations):
        answer = client.post(
            "/sync/mutations", json={"mutations": mutations[len(results) :][:BATCH]}
        )
        results += answer.json()["results"]
    return results


def log_in(client: httpx.Client) -> None:
    page = client.get("/login").text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
    answer = client.post(
        "/login",
        data={"mobile": "13900000001", "password": DEMO_PASSWORD},
        headers={"x-csrftoken": token},
    )
    assert answer.status_code == 303


def test_kill_in_the_middle_of_a_batch(database_url: str, tmp_path: Path) -> None:
    mutations = batch()
    with live_server(
        tmp_path,
        app="tests.integration.sync.live_app:create",
        DATABASE_URL=database_url,
        EMBEDDED_WORKER="0",
    ) as server:
        for table in (
            "sync_change",
            "sync_history",
            "sync_conflict",
            "sync_record",
            "sync_mutation",
            "sync_device",
            "sync_test_note",
        ):
            query(database_url, f"DELETE FROM {table}")
        client = httpx.Client(base_url=server.url, timeout=120)
        log_in(client)
        failure: list[Exception] = []

        def send() -> None:  # in batches, as the outbox does
            try:
                push(client, mutations)
            except httpx.HTTPError as exc:
                failure.append(exc)

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 60
        while query(database_url, "SELECT count(*) FROM sync_mutation")[0][0] < 300:
            assert time.monotonic() < deadline, "the batch never started"
            time.sleep(0.01)
        server.kill()
        sender.join()
        assert failure, "the phone never heard back"
        done = query(database_url, "SELECT count(*) FROM sync_mutation")[0][0]
        assert 300 <= done < len(mutations), "killed in the middle"

        server.start()
        results = push(client, mutations)
    assert sum(r["replayed"] for r in results) == done
    assert all(r["verdict"] in ("applied", "merged", "conflicted") for r in results)
    ids = {row[0] for row in query(database_url, "SELECT id FROM sync_mutation")}
    assert {uuid.UUID(str(m["mutation_id"])) for m in mutations} == {uuid.UUID(str(i)) for i in ids}
    assert query(database_url, "SELECT count(*) FROM sync_test_note")[0][0] == NOTES
    assert query(database_url, "SELECT count(*) FROM sync_change")[0][0] == len(mutations)
    seqs = [r[0] for r in query(database_url, "SELECT seq FROM sync_mutation ORDER BY seq")]
    assert seqs == list(range(seqs[0], seqs[0] + len(mutations))), "one seq each, no gaps"
