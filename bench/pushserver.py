"""The test push service in a process of its own, for `bench/fanout.py`: it makes N
subscribers, writes their subscriptions as JSON, then serves until killed. It verifies the
VAPID JWT and decrypts one request in `--check-every` (the rest are answered 201 at once: the
benchmark measures the senders, not this service)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.pushservice import PushService, b64


async def serve(vapid_public_key: str, count: int, out: Path, check_every: int) -> None:
    service = PushService(vapid_public_key, check_every=check_every)
    await service.start()
    subs = []
    for n in range(count):
        sub = service.subscribe(f"s{n}")
        subs.append(
            {
                "endpoint": service.endpoint(f"s{n}"),
                "keys": {"p256dh": sub.p256dh, "auth": b64(sub.auth)},
            }
        )
    await asyncio.to_thread(out.write_text, json.dumps(subs))
    print("ready", flush=True)
    await asyncio.Event().wait()  # until the benchmark kills this process


@contextmanager
def running(vapid_public_key: str, count: int, workdir: Path) -> Iterator[tuple[Path, list, int]]:
    """The service in its own process for the length of a `with`: yields the subscriptions
    file, the subscriptions (endpoint and keys) as a browser would hand them over, and the
    process id (to read the CPU time the service itself used)."""
    subs_file = workdir / "subs.json"
    service = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.pushserver",
            "--key",
            vapid_public_key,
            "--count",
            str(count),
            "--out",
            str(subs_file),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert service.stdout is not None and service.stdout.readline().strip() == "ready"
        yield subs_file, json.loads(subs_file.read_text()), service.pid
    finally:
        service.kill()
        service.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--key", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--check-every", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(serve(args.key, args.count, args.out, args.check_every))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
