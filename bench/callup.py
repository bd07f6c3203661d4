"""Call-up at city scale: 100,000 flood-duty people (10,000 with --quick) on PostgreSQL (and
SQLite with --sqlite).

1. send: from "send" (the draft with its computed targets exists; messages and each
   person's whole ladder of deliveries are written) to every web push accepted by the local
   test push service (bench/pushserver.py, RFC 8291/VAPID checked on a
   sample), with the worker's own drain; compared with the named baseline "fanout-only" (the
   same people through send_many + drain alone, bench/fanout.py's path) measured in this run.
2. board: the live board's aggregate queries (states by town, time-to-confirm buckets, first
   page of the silent) p95 over 30 reads, before and after the confirmations. Target < 100 ms.
3. confirm: every target confirms once, as its phone does, through the sync service (one
   mutation per phone, 64 phones at a time). Target >= 1,000 confirmations/s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.common import PG_URL, enqueue_and_drain, reset_postgres, write_result
from bench.pushserver import running
from server import db
from server.auth.service import Viewer
from server.callups import adapter, board, messages, service
from server.callups.tables import CallupTarget
from server.db import Database, activate
from server.directory.kinds import Level, PostKind
from server.directory.records import PostRecord
from server.directory.scope import Scope
from server.directory.tables import Area, Person, Post
from server.notify.deliveries import Note, drain_all, send_many
from server.notify.tables import Delivery, Message, PushSubscription
from server.notify.vapid import Signer, ensure_keys, public_key
from server.notify.webpush import PushSender
from server.syncing import service as syncing
from server.worker import run_fast
from sync.batch import insert_rows
from sync.hlc import HLC
from tests.pushservice import HOSTS

HERE = Path(__file__).resolve().parent
TOWNS, VILLAGES = 10, 10
PHONES_AT_ONCE = 64


async def seed(count: int, subs: list[dict]) -> tuple[str, Viewer]:
    """A city of 10 towns x 10 villages, `count` dyke guarantors spread over the villages,
    each with a push subscription; and a bureau staff member to issue the call-up."""
    city = {
        "id": uuid.uuid4(),
        "code": "339900",
        "name": "临江市",
        "level": Level.city.value,
        "parent": None,
        "path": "/339900/",
        "polygon": None,
        "center_lat": None,
        "center_lng": None,
    }
    areas, villages = [city], []
    for t in range(TOWNS):
        code = f"339900{t + 1:03d}"
        town = {
            **city,
            "id": uuid.uuid4(),
            "code": code,
            "name": f"第{t + 1}镇",
            "level": Level.town.value,
            "parent": city["id"],
            "path": f"/339900/{code}/",
        }
        areas.append(town)
        for v in range(VILLAGES):
            vcode = f"{code}{v + 1:03d}"
            village = {
                **town,
                "id": uuid.uuid4(),
                "code": vcode,
                "name": f"第{t + 1}镇{v + 1}村",
                "level": Level.village.value,
                "parent": town["id"],
                "path": f"{town['path']}{vcode}/",
            }
            areas.append(village)
            villages.append(village)
    people, posts, rows = [], [], []
    now = datetime.now(UTC)
    for n, sub in enumerate(subs):
        person_id = uuid.uuid4()
        village = villages[n % len(villages)]
        people.append(
            {
                "id": person_id,
                "name": f"责任人{n}",
                "mobile": f"1{n:010d}",
                "password_hash": "",
                "active": True,
                "created_at": now,
            }
        )
        posts.append(
            {
                "id": uuid.uuid4(),
                "person": person_id,
                "kind": PostKind.flood_guarantor.value,
                "area": village["id"],
                "place": None,
                "area_path": village["path"],
                "superior": None,
                "title": "",
                "active": True,
            }
        )
        rows.append(
            {
                "id": uuid.uuid4(),
                "recipient_id": person_id,
                "session_id": None,
                "endpoint": sub["endpoint"],
                "p256dh": sub["keys"]["p256dh"],
                "auth": sub["keys"]["auth"],
                "user_agent": "",
                "created_at": now,
            }
        )
    staff_id = uuid.uuid4()
    people.append(
        {
            "id": staff_id,
            "name": "市应急管理局",
            "mobile": "13900000002",
            "password_hash": "",
            "active": True,
            "created_at": now,
        }
    )
    staff_post = {
        "id": uuid.uuid4(),
        "person": staff_id,
        "kind": PostKind.bureau_staff.value,
        "area": city["id"],
        "place": None,
        "area_path": city["path"],
        "superior": None,
        "title": "",
        "active": True,
    }
    posts.append(staff_post)
    database = db.current()
    async with database.write():
        await insert_rows(Area, areas)
        for table, batch in ((Person, people), (Post, posts), (PushSubscription, rows)):
            for at in range(0, len(batch), 1000):
                await insert_rows(table, batch[at : at + 1000])
    record = PostRecord(
        staff_post["id"],
        staff_id,
        PostKind.bureau_staff,
        city["id"],
        "临江市",
        None,
        "",
        city["path"],
        None,
        "",
        True,
    )
    staff = Viewer(
        staff_id,
        "市应急管理局",
        "13900000002",
        uuid.uuid4(),
        (record,),
        Scope.of(staff_id, [city["path"]], []),
    )
    return city["path"], staff


def p95(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20)[18] * 1000, 1)


async def board_p95(callup_id: uuid.UUID, staff: Viewer) -> dict:
    """The aggregate query (counts by state and town) alone, and the whole board."""
    await db.current().engine.run_ddl("ANALYZE")  # what autovacuum does after mass changes
    callup = await service.watchable(staff, callup_id)
    aggregate, whole = [], []
    for _ in range(30):
        start = time.perf_counter()
        await board.counts_by_town(callup_id)
        aggregate.append(time.perf_counter() - start)
        start = time.perf_counter()
        await board.board(callup)
        whole.append(time.perf_counter() - start)
    return {"aggregate_p95_ms": p95(aggregate), "board_p95_ms": p95(whole)}


async def confirm_all(callup_id: uuid.UUID) -> dict:
    rows = await CallupTarget.select(CallupTarget.id, CallupTarget.person_id).where(
        CallupTarget.callup_id == callup_id
    )
    queue: asyncio.Queue = asyncio.Queue()
    for row in rows:
        queue.put_nowait(row)
    latencies: list[float] = []
    rejected = 0

    async def phone() -> None:
        nonlocal rejected
        while not queue.empty():
            row = queue.get_nowait()
            person = row["person_id"]
            viewer = Viewer(person, "", "", uuid.uuid4(), (), Scope.of(person, [], []))
            now_ms = syncing.now_ms()
            raw = {
                "mutation_id": str(uuid.uuid4()),
                "device_id": str(uuid.uuid4()),
                "device_seq": 1,
                "entity": "callup_target",
                "record_id": str(row["id"]),
                "op": "confirm",
                "base_seq": 0,
                "fields": {"answer": "received"},
                "hlc": str(HLC(now_ms, 0, "p")),
                "phone_time": now_ms,
            }
            start = time.perf_counter()
            result = await syncing.submit(raw, viewer)
            latencies.append(time.perf_counter() - start)
            rejected += result is None or result.verdict == "rejected"

    start = time.perf_counter()
    await asyncio.gather(*(phone() for _ in range(PHONES_AT_ONCE)))
    seconds = time.perf_counter() - start
    return {
        "confirmations": len(rows),
        "rejected": rejected,
        "seconds": round(seconds, 2),
        "per_s": round(len(rows) / seconds),
        "p95_ms": p95(latencies),
    }


async def sent_webpush() -> list[dict]:
    return await Delivery.select(Delivery.sent_at).where(
        (Delivery.state == "sent") & (Delivery.channel == "webpush")
    )


async def run_engine(url: str, count: int, subs: list[dict], vapid) -> dict:
    database = Database(url, pool=not url.startswith("sqlite"))
    activate(database)
    await database.start()
    await database.migrate()
    syncing.register(adapter.CallupTargetAdapter())
    messages.install()
    path, staff = await seed(count, subs)
    sender = PushSender(Signer(vapid, "mailto:ops@localhost"), processes=1, hosts=HOSTS)
    result: dict = {"targets": count}

    # the named baseline: the same fan-out without the call-up around it
    start = time.perf_counter()
    people = [
        r["recipient_id"] for r in await PushSubscription.select(PushSubscription.recipient_id)
    ]
    note = Note(kind="bench", title="基线", urgency="high")
    await enqueue_and_drain(send_many(people, note, ("webpush",)), lambda: drain_all(sender))
    result["baseline_fanout_only_s"] = round(time.perf_counter() - start, 2)
    async with database.write():
        await Delivery.delete(force=True)
        await Message.delete(force=True)

    draft = service.Draft("暴雨红色预警叫应", "red", [path], [PostKind.flood_guarantor.value])
    start = time.perf_counter()
    callup_id = await service.create(staff, draft)  # the draft staff look over first
    created = time.perf_counter() - start
    start = time.perf_counter()  # "send" pressed
    sent_at = datetime.now(UTC)
    queued = 0.0

    async def send() -> None:
        nonlocal queued
        await service.send(staff, callup_id)
        await service.finish_sends()  # what the worker does at once after a send
        queued = time.perf_counter() - start

    await enqueue_and_drain(send(), lambda: drain_all(sender))
    total = time.perf_counter() - start
    sent = await sent_webpush()
    waits = [(r["sent_at"] - sent_at).total_seconds() for r in sent]
    result["send"] = {
        "accepted": len(sent),
        "draft_with_targets_s": round(created, 2),
        # every target's message and its ladder (push now, text and call later) written
        "send_to_queued_s": round(queued, 2),
        "send_to_all_accepted_s": round(total, 2),
        "p95_send_to_accepted_s": round(statistics.quantiles(waits, n=20)[18], 2),
    }
    result["board_before"] = await board_p95(callup_id, staff)
    result["confirm"] = await confirm_all(callup_id)
    result["board_after"] = await board_p95(callup_id, staff)
    confirmed = await CallupTarget.count().where(
        (CallupTarget.callup_id == callup_id) & CallupTarget.confirmed_at.is_not_null()
    )
    result["confirmed"] = confirmed
    await sender.close()
    await database.stop()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10,000 targets")
    parser.add_argument("--sqlite", action="store_true", help="SQLite as well")
    args = parser.parse_args(argv)
    count = 10_000 if args.quick else 100_000
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        vapid = ensure_keys(workdir / "vapid.pem")
        with running(public_key(vapid), count, workdir) as (_file, subs, _pid):
            asyncio.run(reset_postgres())
            results["postgres"] = run_fast(run_engine(PG_URL, count, subs, vapid))
            if args.sqlite:
                url = f"sqlite:///{workdir / 'callup.sqlite3'}"
                results["sqlite"] = run_fast(run_engine(url, count, subs, vapid))
    path = write_result("callup" + ("-quick" if args.quick else ""), results)
    for engine, r in results.items():
        before, after = r["board_before"], r["board_after"]
        print(
            f"callup {count} ({engine}): send->all accepted "
            f"{r['send']['send_to_all_accepted_s']} s "
            f"(baseline fanout-only {r['baseline_fanout_only_s']} s); board aggregate p95 "
            f"{before['aggregate_p95_ms']}/{after['aggregate_p95_ms']} ms (target < 100), "
            f"whole board {before['board_p95_ms']}/{after['board_p95_ms']} ms; "
            f"{r['confirm']['per_s']} confirmations/s, p95 {r['confirm']['p95_ms']} ms "
            f"(target >= 1,000/s on PostgreSQL) -> {path}"
        )


if __name__ == "__main__":
    main()
