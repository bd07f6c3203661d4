"""A request body that stops arriving is answered 408 and the connection let go (issue 14,
finding 11: a body announced and never sent held a connection 75 s or more). Against a
real uvicorn, with a raw socket, since only a real server reads a body in parts."""

from __future__ import annotations

import re
import select
import socket
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.live import LiveServer, live_server


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("bodytimeout")
    with live_server(workdir, BODY_IDLE_SECONDS="1", BODY_TOTAL_SECONDS="4") as server:
        yield server


def _login_page(url: str) -> tuple[str, str]:
    """The CSRF cookie and token a login form carries."""
    with urllib.request.urlopen(f"{url}/login", timeout=5) as response:
        cookie = response.headers["set-cookie"].split(";", 1)[0]
        token = re.search(
            r'<meta name="csrf-token" content="([^"]+)">', response.read().decode()
        ).group(1)
    return cookie, token


def _post_slowly(url: str, parts: list[bytes], pause: float, length: int) -> tuple[int, float]:
    """POST /login announcing `length` bytes, sending `parts` `pause` seconds apart; the
    status answered and the seconds it took (the socket gives up after 15)."""
    cookie, token = _login_page(url)
    host, port = url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        head = (
            f"POST /login HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n"
            f"X-CSRFToken: {token}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {length}\r\nAccept: text/html\r\n\r\n"
        )
        sock.sendall(head.encode())
        for part in parts:
            try:
                sock.sendall(part)
            except OSError:
                break  # the server already answered and closed
            if select.select([sock], [], [], pause)[0]:
                break  # answered before the body was whole
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    status = int(answer.split(b" ", 2)[1]) if answer else 0
    return status, time.monotonic() - started


def test_a_body_that_stops_arriving_is_408(live: LiveServer) -> None:
    status, seconds = _post_slowly(live.url, [b"mobile=139"], 0, length=200)
    assert status == 408
    assert seconds < 5  # one idle second, not the 75 s a stalled body held before


def test_a_slow_body_that_keeps_coming_is_read(live: LiveServer) -> None:
    """A phone on 2G sending a part every half second is within the limits: its login is
    judged (a wrong password: 401), not cut off."""
    body = b"mobile=13900000001&password=wrong-password-here"
    parts = [body[i : i + 8] for i in range(0, len(body), 8)]
    status, _ = _post_slowly(live.url, parts, 0.4, length=len(body))
    assert status not in (0, 408), status


def test_a_body_dribbled_past_the_total_is_408(live: LiveServer) -> None:
    """A part every half second (never idle a whole second) but never done: cut at 4 s."""
    status, seconds = _post_slowly(live.url, [b"m"] * 20, 0.5, length=200)
    assert status == 408
    assert seconds < 8
