"""Evacuation at city scale on PostgreSQL: 50,000 households (5,000 with --quick) in 50
villages, marked by 200 grid members' phones through the sync service the endpoint calls
(`submit_batch`: a phone's outbox replays its marks 25 to a batch, 200 phones at a time),
and the live board read while and after they mark.

Prints marks/s and the board's p95 (30 reads: counts by village and zone, shelters, the first
page of the unreached) right after the marks and once the table's statistics are fresh (what
autovacuum's ANALYZE does within a minute of a change this size), against the named
baseline "1,000 households": the same steps on a roster of 1,000 in the same run.
Targets: >= 1,000 marks/s, board p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

from bench.common import PG_URL, reset_postgres, write_result
from server.auth.service import Viewer
from server.db import Database, activate
from server.directory.kinds import PostKind
from server.directory.records import PostRecord
from server.directory.scope import Scope
from server.evacuation import board, planning, service
from server.evacuation.adapter import EvacRowAdapter
from server.evacuation.kinds import ZoneKind
from server.evacuation.tables import DangerZone, EvacRow
from server.syncing import service as syncing
from sync.batch import insert_rows
from sync.hlc import HLC

VILLAGES, GRIDS, PHONES, BATCH = 50, 4, 200, 25
TOWN = "/339900/339901/339901002/"
MARKS = ["moved", "self_moved", "refused", "unreached"]


def p95(values: list[float]) -> float:
    return round(statistics.quantiles(values, n=20)[18] * 1000, 1)


def viewer(kind: PostKind, path: str, everything: bool = False) -> Viewer:
    person = uuid.uuid4()
    post = PostRecord(uuid.uuid4(), person, kind, None, "", None, "", path, None, "", True)
    scope = Scope.of(person, [path], [], everything=everything)
    return Viewer(person, "", "", uuid.uuid4(), (post,), scope)


async def plan(households: int, tag: str) -> list[uuid.UUID]:
    """Villages with one zone each, their households spread over the grids; a shelter each."""
    zones, rows = [], []
    per_village = households // VILLAGES
    for v in range(VILLAGES):
        village = f"{TOWN}{tag}{v:03d}/"
        zone_id = uuid.uuid4()
        zones.append({"id": zone_id, "code": f"{tag}-{v}", "name": f"危险区{v}",
                      "kind": ZoneKind.low_lying.value, "area_path": village})  # fmt: skip
        for n in range(per_village):
            rows.append(
                planning.HouseholdIn(
                    code=f"{tag}{v:03d}-H{n:05d}",
                    zone_id=zone_id,
                    area_path=f"{village}{tag}{v:03d}-{n % GRIDS + 1:02d}/",
                    head_name="户主",
                    people=3,
                    residents=[],
                )
            )
    await insert_rows(DangerZone, zones)
    await planning.create_households(rows)
    return [z["id"] for z in zones]


async def mark_all(evacuation_id: uuid.UUID) -> dict:
    rows = await EvacRow.select(EvacRow.id, EvacRow.area_path).where(
        EvacRow.evacuation_id == evacuation_id
    )
    by_grid: dict[str, list[uuid.UUID]] = {}
    for r in rows:
        by_grid.setdefault(r["area_path"], []).append(r["id"])
    grids = sorted(by_grid)
    phones = [(viewer(PostKind.grid_member, g), by_grid[g]) for g in grids]
    latencies: list[float] = []
    rejected = 0

    async def phone(who: Viewer, mine: list[uuid.UUID]) -> None:
        nonlocal rejected
        device = str(uuid.uuid4())
        for at in range(0, len(mine), BATCH):
            now_ms = syncing.now_ms()
            batch = [
                {
                    "mutation_id": str(uuid.uuid4()),
                    "device_id": device,
                    "device_seq": at + n + 1,
                    "entity": "evac_row",
                    "record_id": str(row_id),
                    "op": "mark",
                    "base_seq": 0,
                    "fields": {
                        "mark": MARKS[(at + n) % 4],
                        "destination": "relatives",
                        "reason": "不愿离开",
                    },
                    "hlc": str(HLC(now_ms, 0, device[:8])),
                    "phone_time": now_ms,
                }
                for n, row_id in enumerate(mine[at : at + BATCH])
            ]
            start = time.perf_counter()
            results = await syncing.submit_batch(batch, who)
            latencies.append(time.perf_counter() - start)
            rejected += sum(1 for r in results if not r.accepted) + len(batch) - len(results)

    start = time.perf_counter()
    for first in range(0, len(phones), PHONES):
        await asyncio.gather(*(phone(w, m) for w, m in phones[first : first + PHONES]))
    seconds = time.perf_counter() - start
    return {
        "marks": len(rows),
        "phones": len(phones),
        "rejected": rejected,
        "per_s": round(len(rows) / seconds),
        "batch_p95_ms": p95(latencies),
    }


async def board_p95(evacuation_id: uuid.UUID) -> float:
    evacuation = await service.load(evacuation_id)
    took = []
    for _ in range(30):
        start = time.perf_counter()
        await board.board(evacuation)
        took.append(time.perf_counter() - start)
    return p95(took)


async def run(households: int, tag: str) -> dict:
    database = Database(PG_URL, pool=True, pool_size=20)
    activate(database)
    await database.start()
    try:
        zones = await plan(households, tag)
        admin = viewer(PostKind.admin, "/339900/", everything=True)
        start = time.perf_counter()
        evacuation_id = await service.start(admin, service.Start("洪水转移", zones))
        started_s = round(time.perf_counter() - start, 2)
        marked = await mark_all(evacuation_id)
        b = await board.board(await service.load(evacuation_id))
        right_after = await board_p95(evacuation_id)
        # what autovacuum does within a minute of a change this size: fresh statistics
        await EvacRow.raw("ANALYZE evac_row")
        return {
            "households": households,
            "start_roster_s": started_s,
            "mark": marked,
            "board_p95_right_after_ms": right_after,
            "board_p95_ms": await board_p95(evacuation_id),
            "board_counts_equal_marks": b.total.households - b.total.to_move == marked["marks"],
        }
    finally:
        await database.stop()


async def measure(households: int) -> dict:
    await reset_postgres()
    database = Database(PG_URL, pool=False)
    activate(database)
    await database.migrate()
    syncing.register(EvacRowAdapter())
    baseline = await run(1_000, "b")
    main_run = await run(households, "m")
    return {"baseline_1000_households": baseline, "postgres": main_run}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="5,000 households")
    args = parser.parse_args(argv)
    households = 5_000 if args.quick else 50_000
    result = asyncio.run(measure(households))
    path = write_result("evacuation" + ("-quick" if args.quick else ""), result)
    r, base = result["postgres"], result["baseline_1000_households"]
    print(
        f"evacuation {households} households, {r['mark']['phones']} phones (postgres): "
        f"{r['mark']['per_s']} marks/s (target >= 1,000; baseline 1,000 households "
        f"{base['mark']['per_s']}/s), board p95 {r['board_p95_ms']} ms (target < 100; "
        f"{r['board_p95_right_after_ms']} ms before the statistics caught up; "
        f"baseline {base['board_p95_ms']} ms), roster of {households} in {r['start_roster_s']} s, "
        f"rejected {r['mark']['rejected']} -> {path}"
    )


if __name__ == "__main__":
    main()
