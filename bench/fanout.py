"""Fan-out: one call-up to 10,000 people (100,000 with --full) through our outbox to the test
push service on 127.0.0.1, against Node's `web-push` sending the same messages (the named
baseline "node-web-push", keep-alive, 64 in flight). Prints messages/s, CPU-seconds per
1,000 messages, p95 from enqueue to accepted, and our/Node ratio.
Targets (2 cores): >= 2.5x Node's messages/s; 100,000 people handed over in < 45 s.
"""

from __future__ import annotations

import argparse
import base64
import json
import resource
import statistics
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.common import enqueue_and_drain, write_result
from bench.pushserver import cpu_seconds, running
from server.db import Database, activate
from server.notify.deliveries import Note, drain_all, send_many
from server.notify.tables import Delivery, PushSubscription
from server.notify.vapid import Signer, ensure_keys, public_key
from server.notify.webpush import PushSender
from server.worker import run_fast
from sync.batch import insert_rows
from tests.pushservice import HOSTS

HERE = Path(__file__).resolve().parent
NOTE = Note(
    kind="callup",
    title="防汛叫应：红色暴雨预警",
    body="请立即到岗并点击“收到”确认。",
    url="/callups/1",
    urgency="high",
    ttl=600,
    topic="callup-1",
    actions=({"action": "ack", "title": "收到"},),
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def ours(workdir: Path, subs: list[dict], vapid) -> dict:
    database = Database(f"sqlite:///{workdir / 'fanout.sqlite3'}", pool=False)
    activate(database)
    await database.start()
    await database.migrate()
    people = [uuid.uuid4() for _ in subs]
    rows = [
        {
            "id": uuid.uuid4(),
            "recipient_id": person,
            "endpoint": sub["endpoint"],
            "p256dh": sub["keys"]["p256dh"],
            "auth": sub["keys"]["auth"],
        }
        for person, sub in zip(people, subs, strict=True)
    ]
    async with database.write():
        for at in range(0, len(rows), 1000):
            await insert_rows(PushSubscription, rows[at : at + 1000])
    sender = PushSender(Signer(vapid, "mailto:ops@localhost"), processes=1, hosts=HOSTS)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = before.ru_utime + before.ru_stime  # Node's run, already finished
    cpu = time.process_time()
    enqueued_at = datetime.now(UTC)
    start = time.perf_counter()
    # the push fan-out itself, drained by the worker's job as it is written
    await enqueue_and_drain(send_many(people, NOTE, ("webpush",)), lambda: drain_all(sender))
    seconds = time.perf_counter() - start
    await sender.close()  # waits for the encryption helper, so its CPU time is counted
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = time.process_time() - cpu + helpers.ru_utime + helpers.ru_stime - children
    sent = await Delivery.select(Delivery.sent_at).where(Delivery.state == "sent")
    waits = [(r["sent_at"] - enqueued_at).total_seconds() for r in sent]
    await database.stop()
    return {
        "sent": len(sent),
        "seconds": round(seconds, 2),
        "messages_per_s": round(len(sent) / seconds),
        "cpu_seconds_per_1000": round(cpu_seconds / len(subs) * 1000, 3),
        "p95_enqueue_to_accepted_s": round(statistics.quantiles(waits, n=20)[18], 2),
    }


def node(subs_file: Path, vapid) -> dict:
    private = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    payload = json.dumps(
        {"title": NOTE.title, "body": NOTE.body, "url": NOTE.url}, ensure_ascii=False
    )
    out = subprocess.run(
        [
            "node",
            str(HERE / "node_fanout.mjs"),
            str(subs_file),
            public_key(vapid),
            b64(private),
            payload,
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["messages_per_s"] = round(result["sent"] / result["seconds"])
    result["cpu_seconds_per_1000"] = round(result["cpu_seconds"] / result["sent"] * 1000, 3)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", help="100,000 recipients")
    args = parser.parse_args(argv)
    count = 100_000 if args.full else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        vapid = ensure_keys(workdir / "vapid.pem")
        with running(public_key(vapid), count, workdir) as (subs_file, subs, pid):
            before = cpu_seconds(pid)
            reference = node(subs_file, vapid)
            middle = cpu_seconds(pid)
            result = run_fast(ours(workdir, subs, vapid))
            # the push service shares this machine's two cores with the sender
            result["push_service_cpu_seconds_per_1000"] = round(
                (cpu_seconds(pid) - middle) / count * 1000, 3
            )
            reference["push_service_cpu_seconds_per_1000"] = round(
                (middle - before) / count * 1000, 3
            )
    ratio = round(result["messages_per_s"] / reference["messages_per_s"], 2)
    data = {
        "recipients": count,
        "ours": result,
        "baseline": "node-web-push",
        "node_web_push": reference,
        "ratio": ratio,
    }
    path = write_result("fanout" + ("-full" if args.full else ""), data)
    print(
        f"fanout {count}: {result['messages_per_s']} messages/s in {result['seconds']} s "
        f"({result['cpu_seconds_per_1000']} CPU-s per 1,000, the push service "
        f"{result['push_service_cpu_seconds_per_1000']}; p95 enqueue->accepted "
        f"{result['p95_enqueue_to_accepted_s']} s); baseline node-web-push "
        f"{reference['messages_per_s']} messages/s -> ratio {ratio}x -> {path}"
    )


if __name__ == "__main__":
    main()
