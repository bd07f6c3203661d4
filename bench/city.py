"""A city's year on PostgreSQL: 1,000,000 hazards and 100,000 flood-duty people (--quick:
100,000 and 10,000), served the Procfile way (a web process and a worker process, each its
own OS process, live notices over the PostgreSQL bus, pushes to a local push service).

Measured, with the named baseline "10k" (the same pages when the city had 10,000 hazards)
in the same run:
- p50/p95 of the station's and the bureau's ledger first page, the figures for a year and
  the bulletin (targets: pages p95 < 300 ms, figures for a year < 500 ms);
- the .xlsx of 100,000 rows (--quick: 10,000): first byte and the web process's peak RSS
  (targets: first byte < 2 s, peak RSS < 300 MB);
- the deadline pass over 100,000 overdue hazards (--quick: 10,000), and a call-up's first
  push sent while that pass runs against one sent when the worker is idle (target: no more
  than 2 s later);
- a call-up to every flood-duty person: from "send" to the last push accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg

from bench.common import PG_URL, count_tally, reset_postgres, write_result
from bench.hazards import peak_rss_mb, timings
from bench.pushserver import running
from server.hazards.categories import SEED
from server.notify.vapid import ensure_keys, public_key
from server.settings import ROOT
from tests.live import free_port, session_for, wait_healthy

BUREAU = "13900000002"
COLUMNS = (
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
)


def hazard_rows(count: int, overdue: int, grids: list[str], now: datetime, start: int):
    """Two years of hazards, most closed; `overdue` of them assigned and past their deadline."""
    rng = random.Random(start)
    categories = [c for _, _, _, children in SEED for c, _, _ in children]
    today = now.date()
    for n in range(start, start + count):
        reported = now - timedelta(minutes=rng.randrange(60, 730 * 24 * 60))
        late = n - start < overdue
        status = "assigned" if late else rng.choice(["closed"] * 8 + ["reported", "accepted"])
        deadline = (
            today - timedelta(days=rng.randint(1, 60))
            if late
            else today + timedelta(days=rng.randint(1, 30))
            if status == "accepted"
            else None
        )
        closed = reported + timedelta(days=rng.uniform(1, 40)) if status == "closed" else None
        yield (
            uuid.UUID(int=rng.getrandbits(128), version=4),
            f"YH{reported:%Y%m%d}-{n}",
            rng.choice(categories),
            "major" if rng.random() < 0.03 else "general",
            status,
            "楼道堵塞，电动车违规充电",
            30 + rng.random(),
            120 + rng.random(),
            f"幸福路{rng.randint(1, 999)}号",
            rng.choice(grids),
            "grid",
            "网格员",
            "物业公司" if status != "reported" else "",
            "限期整改" if status != "reported" else "",
            deadline,
            reported,
            reported,
            closed,
            n + 1,
        )


async def seed_hazards(count: int, overdue: int, start: int) -> None:
    conn = await asyncpg.connect(PG_URL)
    try:
        grids = [r["path"] for r in await conn.fetch("SELECT path FROM area WHERE level = 'grid'")]
        rows = hazard_rows(count, overdue, grids, datetime.now(UTC), start)
        while batch := [r for _, r in zip(range(50_000), rows, strict=False)]:
            await conn.copy_records_to_table("hazard", records=batch, columns=COLUMNS)
        # what autovacuum does after a load of inserts (and long before a year has passed):
        # the visibility map set, so indexes answer alone
        await conn.execute("VACUUM ANALYZE hazard")
    finally:
        await conn.close()


async def seed_people(subs: list[dict]) -> None:
    """Dyke guarantors spread over the demo city's villages, each with a subscription."""
    conn = await asyncpg.connect(PG_URL)
    try:
        villages = await conn.fetch("SELECT id, path FROM area WHERE level = 'village'")
        now = datetime.now(UTC)
        people, posts, rows = [], [], []
        for n, sub in enumerate(subs):
            person, village = uuid.uuid4(), villages[n % len(villages)]
            people.append((person, f"责任人{n}", f"166{n:08d}", "", True, now))
            posts.append(
                (
                    uuid.uuid4(),
                    person,
                    "flood_guarantor",
                    village["id"],
                    None,
                    village["path"],
                    None,
                    "",
                    True,
                )
            )
            rows.append(
                (
                    uuid.uuid4(),
                    person,
                    None,
                    sub["endpoint"],
                    sub["keys"]["p256dh"],
                    sub["keys"]["auth"],
                    "",
                    now,
                )
            )
        for table, columns, records in (
            ("person", ("id", "name", "mobile", "password_hash", "active", "created_at"), people),
            (
                "post",
                (
                    "id",
                    "person",
                    "kind",
                    "area",
                    "place",
                    "area_path",
                    "superior",
                    "title",
                    "active",
                ),
                posts,
            ),
            (
                "push_subscription",
                (
                    "id",
                    "recipient_id",
                    "session_id",
                    "endpoint",
                    "p256dh",
                    "auth",
                    "user_agent",
                    "created_at",
                ),
                rows,
            ),
        ):
            await conn.copy_records_to_table(table, records=records, columns=columns)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def query(sql: str, *args):
    conn = await asyncpg.connect(PG_URL)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def pages(url: str, station_mobile: str, rounds: int) -> dict:
    bureau, station = await session_for(url, BUREAU), await session_for(url, station_mobile)
    year_ago = (date.today() - timedelta(days=365)).isoformat()
    try:
        return {
            "station_ledger": await timings(station, "/hazards", rounds),
            "bureau_ledger": await timings(bureau, "/hazards", rounds),
            "figures_year": await timings(bureau, f"/hazards/figures?since={year_ago}", rounds),
            "bulletin": await timings(bureau, "/hazards/bulletin", rounds),
        }
    finally:
        await bureau.close()
        await station.close()


async def export(url: str, pid: int, since: str) -> dict:
    bureau = await session_for(url, BUREAU)
    try:
        start = time.perf_counter()
        first = None
        size = 0
        async with bureau.get(f"/hazards/ledger.xlsx?since={since}") as response:
            assert response.status == 200, response.status
            async for chunk in response.content.iter_any():
                first = first or time.perf_counter() - start
                size += len(chunk)
        return {
            "first_byte_s": round(first or 0, 2),
            "seconds": round(time.perf_counter() - start, 1),
            "bytes": size,
            "peak_rss_mb": peak_rss_mb(pid),
        }
    finally:
        await bureau.close()


async def callup(url: str, area_path: str, title: str) -> tuple[str, datetime]:
    """A call-up drafted and sent through the web process; returns its id and when the
    send was pressed."""
    bureau = await session_for(url, BUREAU)
    try:
        page = await (await bureau.get("/callups/new")).text()
        token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
        form = {
            "title": title,
            "level": "red",
            "areas": area_path,
            "post_kinds": "flood_guarantor",
            "rounds": "2",
        }
        made = await bureau.post(
            "/callups",
            data=form,
            headers={"x-csrftoken": token},
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(600),
        )
        assert made.status == 303, await made.text()
        location = made.headers["location"]
        pressed = datetime.now(UTC)
        sent = await bureau.post(
            location + "/send", headers={"x-csrftoken": token}, allow_redirects=False
        )
        assert sent.status == 303, await sent.text()
        return location.rsplit("/", 1)[1], pressed
    finally:
        await bureau.close()


PUSHES = """
    SELECT count(*) AS n, min(d.sent_at) AS first, max(d.sent_at) AS last
    FROM callup_target t JOIN message m ON m.recipient_id = t.person_id
    JOIN delivery d ON d.message_id = m.id
    WHERE t.callup_id = $1 AND m.url = '/callups/' || $1::text || '/answer'
      AND d.channel = 'webpush' AND d.state = 'sent'"""


async def pushed(callup_id: str, want: int, seconds: float) -> dict:
    """Waits until `want` pushes of the call-up were accepted; their first and last times."""
    deadline = time.monotonic() + seconds
    conn = await asyncpg.connect(PG_URL)
    try:
        while True:
            row = await conn.fetchrow(PUSHES, uuid.UUID(callup_id))
            if row["n"] >= want or time.monotonic() > deadline:
                return dict(row)
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


def start(workdir: Path, name: str, args: list[str], env: dict) -> subprocess.Popen:
    log = (workdir / f"{name}.log").open("a")
    return subprocess.Popen(
        [sys.executable, *args], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )


async def run(quick: bool, workdir: Path) -> dict:
    hazards, people = (100_000, 10_000) if quick else (1_000_000, 100_000)
    overdue, exported = hazards // 10, hazards // 10
    key = workdir / "vapid.pem"
    env = {
        **os.environ,
        "DATABASE_URL": PG_URL,
        "CHANNELS_URL": PG_URL,
        "EMBEDDED_WORKER": "0",
        "SECRET_KEY": "bench-city-secret-key-0123456789",
        "VAPID_PRIVATE_KEY_PATH": str(key),
        "PUSH_HOSTS": "http://127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "MEDIA_DIR": str(workdir / "media"),
    }
    result: dict = {"hazards": hazards, "people": people, "baseline": "10k"}
    await reset_postgres()
    for command in ("migrate", "demo"):
        await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "server.cli", command],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    station = await query(
        "SELECT person.mobile FROM post JOIN person ON person.id = post.person "
        "WHERE post.kind = 'station_staff' AND person.password_hash <> '' "
        "ORDER BY person.mobile LIMIT 1"
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    web = start(
        workdir,
        "web",
        [
            "-m",
            "uvicorn",
            "--factory",
            "server.app:app_from_environment",
            "--port",
            str(port),
            "--no-access-log",
        ],
        env,
    )
    worker = None
    try:
        wait_healthy(url, web, workdir / "web.log")
        await seed_hazards(10_000, 0, 0)
        count_tally(env)
        result["10k"] = await pages(url, station, 30)
        began = time.perf_counter()
        await seed_hazards(hazards - 10_000 - overdue, 0, 10_000)
        await seed_hazards(overdue, overdue, hazards - overdue)
        count_tally(env)
        result["seed_hazards_s"] = round(time.perf_counter() - began, 1)
        result["city"] = await pages(url, station, 30)
        days = 730 * exported // hazards
        since = (date.today() - timedelta(days=days)).isoformat()
        result["export"] = {"rows_about": exported, **await export(url, web.pid, since)}

        with running(public_key(ensure_keys(key)), people, workdir) as (_f, subs, _pid):
            await seed_people(subs)
            village = await query("SELECT path FROM area WHERE level = 'village' LIMIT 1")
            per_village = people // await query("SELECT count(*) FROM area WHERE level = 'village'")
            # the worker starts with the deadline pass (its first turn); a call-up meanwhile
            worker = start(workdir, "worker", ["-m", "server.worker"], env)
            began = time.perf_counter()
            await asyncio.sleep(1.0)
            busy_id, pressed = await callup(url, village, "演练：追查期间叫应")
            busy = await pushed(busy_id, per_village, 300)
            chased = await _chase_done(overdue, 1800)
            result["chase"] = {
                "overdue": overdue,
                "seconds": round(time.perf_counter() - began, 1),
                "flagged": chased,
            }
            idle_id, idle_pressed = await callup(url, village, "演练：空闲时叫应")
            idle = await pushed(idle_id, per_village, 300)
            result["first_push_s"] = {
                "during_chase": round((busy["first"] - pressed).total_seconds(), 2),
                "idle": round((idle["first"] - idle_pressed).total_seconds(), 2),
            }
            city_id, city_pressed = await callup(url, "/339900/", "演练：全市叫应")
            everyone = await pushed(city_id, people, 1800)
            result["callup_all"] = {
                "people": people,
                "accepted": everyone["n"],
                "send_to_last_push_s": round((everyone["last"] - city_pressed).total_seconds(), 1),
            }
    finally:
        for proc in (web, worker):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(30)
    return result


async def _chase_done(overdue: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while True:
        done = await query("SELECT count(*) FROM hazard_chase WHERE key LIKE '%:overdue'")
        if done >= overdue or time.monotonic() > deadline:
            return done
        await asyncio.sleep(1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="100,000 hazards, 10,000 people")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args.quick, Path(tmp)))
    path = write_result("city" + ("-quick" if args.quick else ""), result)
    city, base, e = result["city"], result["10k"], result["export"]

    def p95(r: dict, name: str) -> str:
        return f"{r[name]['p95_ms']:.0f}"

    print(
        f"city {result['hazards']} hazards / {result['people']} people (PostgreSQL): p95 ms "
        f"station ledger {p95(city, 'station_ledger')} (10k: {p95(base, 'station_ledger')}), "
        f"bureau ledger {p95(city, 'bureau_ledger')} ({p95(base, 'bureau_ledger')}), "
        f"figures year {p95(city, 'figures_year')} ({p95(base, 'figures_year')}), bulletin "
        f"{p95(city, 'bulletin')} ({p95(base, 'bulletin')}) [targets 300/500]; xlsx "
        f"~{e['rows_about']} rows first byte {e['first_byte_s']} s, peak RSS "
        f"{e['peak_rss_mb']} MB [2 s, 300 MB]; chase {result['chase']['overdue']} overdue "
        f"{result['chase']['seconds']} s, first push during it "
        f"{result['first_push_s']['during_chase']} s vs idle {result['first_push_s']['idle']} s "
        f"[+2 s]; call-up to {result['callup_all']['people']}: last push "
        f"{result['callup_all']['send_to_last_push_s']} s -> {path}"
    )


if __name__ == "__main__":
    main()
