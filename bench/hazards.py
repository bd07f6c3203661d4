"""Hazard ledger, figures and export with 200,000 hazards, on SQLite and PostgreSQL.

Seeds the hazards straight into the database of a live server (spread over the demo city's
grids and two years), logs in as the city bureau (sees everything), then measures:
the first ledger page, a filtered ledger page, the figures page (this month, and a whole
year), and a 100,000-row .xlsx export with the server's peak memory (VmHWM).
Baseline "healthz": the same server's health check (routing, session, one DB ping).
Targets (2 cores): ledger p95 < 200 ms, figures p95 < 300 ms, export peak < 200 MB.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg

from bench.common import PG_URL, count_tally, each_engine, write_result
from server.hazards.categories import SEED
from tests.live import session_for

HAZARDS = int(os.environ.get("BENCH_HAZARDS", "200000"))
BUREAU = "13900000002"
STATUSES = ["reported", "accepted", "assigned", "rectified", "closed", "closed", "closed"]
COLUMNS = [
    "id",
    "code",
    "category",
    "level",
    "status",
    "description",
    "lat",
    "lng",
    "address",
    "area_path",
    "source",
    "reporter_name",
    "assignee_unit",
    "measures",
    "deadline",
    "reported_at",
    "received_at",
    "closed_at",
    "seq",
]


def make_rows(grids: list[str], now: datetime) -> list[tuple]:
    rng = random.Random(7)
    categories = [c for _, _, _, children in SEED for c, _, _ in children]
    rows = []
    for n in range(HAZARDS):
        reported = now - timedelta(minutes=rng.randrange(0, 730 * 24 * 60))
        status = rng.choice(STATUSES)
        deadline = (reported + timedelta(days=rng.choice([7, 15, 30]))).date()
        closed = reported + timedelta(days=rng.uniform(1, 40)) if status == "closed" else None
        rows.append(
            (
                uuid.UUID(int=rng.getrandbits(128), version=4),
                f"YH{reported:%Y%m%d}-{n}",
                rng.choice(categories),
                "major" if rng.random() < 0.05 else "general",
                status,
                "楼道堵塞，电动车违规充电" * rng.randint(1, 3),
                30 + rng.random(),
                120 + rng.random(),
                f"幸福路{rng.randint(1, 999)}号",
                rng.choice(grids),
                "grid",
                "网格员",
                "物业公司" if status != "reported" else "",
                "限期整改" if status != "reported" else "",
                deadline if status not in ("reported",) else None,
                reported,
                reported,
                closed,
                n + 1,
            )
        )
    return rows


def seed_sqlite(path: Path, now: datetime) -> int:
    with sqlite3.connect(path) as db:
        grids = [r[0] for r in db.execute("SELECT path FROM area WHERE level = 'grid'")]
        rows = make_rows(grids, now)

        def text(value: object) -> object:
            if isinstance(value, uuid.UUID):
                return str(value)
            if isinstance(value, datetime | date):
                return str(value)  # Piccolo's own format: "2026-11-24 03:23:44.828246+00:00"
            return value

        marks = ", ".join("?" for _ in COLUMNS)
        db.executemany(
            f"INSERT INTO hazard ({', '.join(COLUMNS)}) VALUES ({marks})",
            ([text(v) for v in row] for row in rows),
        )
        db.execute("ANALYZE")
    return len(rows)


async def seed_postgres(now: datetime) -> int:
    conn = await asyncpg.connect(PG_URL)
    try:
        grids = [r["path"] for r in await conn.fetch("SELECT path FROM area WHERE level = 'grid'")]
        rows = make_rows(grids, now)
        await conn.copy_records_to_table("hazard", records=rows, columns=COLUMNS)
        await conn.execute("VACUUM ANALYZE hazard")  # as autovacuum does after a load
    finally:
        await conn.close()
    return len(rows)


async def timings(session: aiohttp.ClientSession, path: str, n: int) -> dict:
    spent = []
    for _ in range(n):
        start = time.perf_counter()
        async with session.get(path) as response:
            await response.read()
            assert response.status == 200, (path, response.status)
        spent.append(time.perf_counter() - start)
    q = statistics.quantiles(spent, n=20)
    return {"p50_ms": round(q[9] * 1000, 1), "p95_ms": round(q[18] * 1000, 1)}


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def measure_export(session: aiohttp.ClientSession, pid: int, since: str) -> dict:
    before = peak_rss_mb(pid)
    start = time.perf_counter()
    size = 0
    async with session.get(f"/hazards/ledger.xlsx?since={since}") as response:
        assert response.status == 200
        async for chunk in response.content.iter_chunked(65536):
            size += len(chunk)
    return {
        "seconds": round(time.perf_counter() - start, 1),
        "bytes": size,
        "peak_rss_mb_before": before,
        "peak_rss_mb": peak_rss_mb(pid),
    }


async def measure(url: str, pid: int, today: date) -> dict:
    session = await session_for(url, BUREAU)
    year_ago = (today - timedelta(days=365)).isoformat()
    try:
        export = await measure_export(session, pid, year_ago)  # first: its own peak memory
        result = {
            "baseline": "healthz",
            "healthz": await timings(session, "/healthz", 50),
            "ledger_first_page": await timings(session, "/hazards", 50),
            "ledger_filtered": await timings(session, "/hazards?status=open&category=fire", 30),
            "figures_month": await timings(session, "/hazards/figures", 30),
            "figures_year": await timings(session, f"/hazards/figures?since={year_ago}", 10),
        }
        result["export"] = export
    finally:
        await session.close()
    return result


def main() -> None:
    results = {}
    now = datetime.now(UTC)
    for engine, work, server in each_engine():
        start = time.perf_counter()
        if engine == "sqlite":
            seeded = seed_sqlite(work / "live.sqlite3", now)
        else:
            seeded = asyncio.run(seed_postgres(now))
        count_tally(server.env)
        seed_s = round(time.perf_counter() - start, 1)
        assert server.proc is not None
        result = asyncio.run(measure(server.url, server.proc.pid, now.date()))
        results[engine] = {"hazards": seeded, "seed_seconds": seed_s, **result}
    path = write_result("hazards", results)
    for engine, r in results.items():
        e = r["export"]
        ledger, filtered = r["ledger_first_page"]["p95_ms"], r["ledger_filtered"]["p95_ms"]
        month, year = r["figures_month"]["p95_ms"], r["figures_year"]["p95_ms"]
        print(
            f"hazards[{engine}] {r['hazards']} rows: ledger p95 {ledger} ms (filtered "
            f"{filtered}), figures p95 {month} ms (year {year}), xlsx {e['bytes'] // 1024} KiB "
            f"in {e['seconds']} s, peak RSS {e['peak_rss_mb']} MB; baseline healthz p95 "
            f"{r['healthz']['p95_ms']} ms -> {path}"
        )
    print(json.dumps({k: v["export"] for k, v in results.items()}))


if __name__ == "__main__":
    main()
