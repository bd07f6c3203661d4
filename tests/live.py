"""A live server in its own process on a free port, for browser tests and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from server.settings import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class LiveServer:
    url: str
    log: Path
    env: dict[str, str]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"server at {url} did not start:\n{log.read_text()}")
        time.sleep(0.1)


@contextmanager
def live_server(
    workdir: Path, app: str = "server.app:app_from_environment", **extra_env: str
) -> Iterator[LiveServer]:
    """Migrate a fresh SQLite file in `workdir`, load the demo city, serve `app` until exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'live.sqlite3'}",
        "SECRET_KEY": "live-server-secret-key",
        "MEDIA_DIR": str(workdir / "media"),
        "BASE_URL": url,
        "LOG_LEVEL": "WARNING",
        **extra_env,
    }
    for command in ("migrate", "demo"):
        subprocess.run(
            [sys.executable, "-m", "server.cli", command],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    log = workdir / f"server-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                app,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(url, proc, log)
        yield LiveServer(url=url, log=log, env=env)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
