"""A live server in its own process on a free port, for browser tests and benchmarks."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from server.directory.demo import DEMO_PASSWORD
from server.settings import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    log: Path
    env: dict[str, str]
    app: str
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        port = self.url.rsplit(":", 1)[1]
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    self.app,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    port,
                    "--no-access-log",
                    "--no-proxy-headers",  # as in production: the app judges X-Forwarded-For
                ],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_healthy(self.url, self.proc, self.log)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, as when a machine loses power."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


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
        "PUSH_HOSTS": "fcm.googleapis.com,http://127.0.0.1",  # the test push service
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
    server = LiveServer(url=url, log=workdir / f"server-{port}.log", env=env, app=app)
    try:
        server.start()
        yield server
    finally:
        server.stop()


async def session_for(url: str, mobile: str = "13900000001") -> aiohttp.ClientSession:
    """An HTTP client logged in as a demo person (aiohttp: it can read endless streams)."""
    # unsafe=True: aiohttp keeps no cookies for IP addresses otherwise
    session = aiohttp.ClientSession(base_url=url, cookie_jar=aiohttp.CookieJar(unsafe=True))
    page = await (await session.get("/login")).text()
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
    await session.post(
        "/login",
        data={"mobile": mobile, "password": DEMO_PASSWORD},
        headers={"x-csrftoken": token},
        allow_redirects=False,
    )
    return session
