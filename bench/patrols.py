"""Patrols at city scale: a day of 10,000 patrols x 500 GPS points (1,000 with --quick)
sent through the sync endpoint by 20 phones at once, as the outbox sends them (start, the
track in batches of 100 points, end; up to 14 mutations a request), on SQLite and PostgreSQL.
Prints points/s and bytes stored per point (the track's own table, and the whole database
including the mutation log), against the named baseline "empty-batch" (the same endpoint
with no mutation: what routing, the session and JSON cost).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sqlite3
import time
import uuid

import asyncpg

from bench.common import PG_URL, each_engine, write_result
from server.settings import sqlite_path
from sync.hlc import HLC
from tests.live import session_for

PHONES, POINTS, PER_TRACK, PER_REQUEST = 20, 500, 100, 14
METRE = math.degrees(1 / 6_371_008.8)


def grid_members(url: str) -> list[tuple[str, str]]:
    """(mobile, grid path) of the demo's grid members, from the server's own database."""
    sql = (
        "SELECT person.mobile, post.area_path FROM post JOIN person ON person.id = post.person"
        " WHERE post.kind = 'grid_member' ORDER BY person.mobile"
    )
    if url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(url)) as db:
            return list(db.execute(sql))
    return [tuple(r) for r in asyncio.run(_pg(sql))]


async def _pg(sql: str) -> list:
    conn = await asyncpg.connect(PG_URL)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


def patrol(grid: str, device: str, seq: int, start_ms: int) -> list[dict]:
    """One patrol's mutations: start, 500 fixes walking a 5 m step, end."""
    patrol_id = str(uuid.uuid4())

    def mutation(op: str, fields: dict, n: int) -> dict:
        return {
            "mutation_id": str(uuid.uuid4()),
            "device_id": device,
            "device_seq": seq + n,
            "entity": "patrol",
            "record_id": patrol_id,
            "op": op,
            "base_seq": 0,
            "fields": fields,
            "hlc": str(HLC(start_ms + n, 0, device[:8])),
            "phone_time": start_ms + n,
        }

    points = [
        {
            "id": str(uuid.uuid4()),
            "lat": round(30.0 + i * 5 * METRE, 7),
            "lng": round(120.0 + (i % 7) * METRE, 7),
            "accuracy": 8,
            "at": start_ms + i * 10_000,
        }
        for i in range(POINTS)
    ]
    out = [mutation("start", {"area_path": grid}, 0)]
    for n, at in enumerate(range(0, POINTS, PER_TRACK), start=1):
        out.append(mutation("track", {"points": points[at : at + PER_TRACK]}, n))
    out.append(mutation("end", {}, len(out)))
    return out


async def phone(url: str, mobile: str, grid: str, patrols: int, sent: list[int]) -> None:
    session = await session_for(url, mobile)
    device, seq = str(uuid.uuid4()), 1
    try:
        pending: list[dict] = []
        for n in range(patrols):
            mutations = patrol(grid, device, seq, 1_790_000_000_000 + n * 10_000_000)
            seq += len(mutations)
            pending += mutations
            if len(pending) >= PER_REQUEST or n == patrols - 1:
                async with session.post("/sync/mutations", json={"mutations": pending}) as r:
                    body = await r.json()
                    assert r.status == 200, body
                    assert all(x["verdict"] != "rejected" for x in body["results"]), body
                sent[0] += sum(len(m["fields"].get("points", [])) for m in pending)
                pending = []
    finally:
        await session.close()


async def baseline(url: str, mobile: str, seconds: float = 3.0) -> float:
    session = await session_for(url, mobile)
    done, deadline = 0, time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            async with session.post("/sync/mutations", json={"mutations": []}) as r:
                await r.read()
            done += 1
    finally:
        await session.close()
    return done / seconds


def stored_bytes(url: str) -> tuple[int, int]:
    """(the track table's bytes, the whole database's bytes)."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            try:
                [(track,)] = db.execute(
                    "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'track_point%'"
                )
            except sqlite3.OperationalError:  # dbstat not compiled in
                track = 0
        return int(track or 0), path.stat().st_size
    rows = asyncio.run(
        _pg("SELECT pg_total_relation_size('track_point'), pg_database_size(current_database())")
    )
    return int(rows[0][0]), int(rows[0][1])


async def all_phones(url: str, members: list, share: int, sent: list[int]) -> None:
    await asyncio.gather(*(phone(url, mobile, grid, share, sent) for mobile, grid in members))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="1,000 patrols")
    args = parser.parse_args(argv)
    patrols = 1_000 if args.quick else 10_000
    results = {}
    for engine, _work, server in each_engine():
        url = server.env["DATABASE_URL"]
        members = grid_members(url)[:PHONES]
        before = stored_bytes(url)
        sent = [0]
        start = time.perf_counter()

        asyncio.run(all_phones(server.url, members, patrols // len(members), sent))
        seconds = time.perf_counter() - start
        after = stored_bytes(url)
        results[engine] = {
            "patrols": patrols // len(members) * len(members),
            "points": sent[0],
            "seconds": round(seconds, 1),
            "points_per_s": round(sent[0] / seconds),
            "track_bytes_per_point": round((after[0] - before[0]) / sent[0], 1),
            "database_bytes_per_point": round((after[1] - before[1]) / sent[0], 1),
            "baseline_empty_batch_requests_per_s": round(
                asyncio.run(baseline(server.url, members[0][0]))
            ),
        }
    path = write_result("patrols" + ("-quick" if args.quick else ""), results)
    for engine, r in results.items():
        print(
            f"patrols[{engine}]: {r['patrols']} patrols, {r['points']} points in {r['seconds']} s"
            f" = {r['points_per_s']} points/s; {r['track_bytes_per_point']} B/point in the "
            f"track table, {r['database_bytes_per_point']} B/point in the whole database; "
            f"baseline empty-batch {r['baseline_empty_batch_requests_per_s']} req/s -> {path}"
        )


if __name__ == "__main__":
    main()
