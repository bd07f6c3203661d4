"""Public tip-offs with a photo from 200 concurrent clients, on SQLite and PostgreSQL: the
latency of a submission, and that the abuse limits hold exactly under that concurrency.

Each client is a browser of its own (its session, its CSRF token, its address given by
X-Forwarded-For, which the server trusts from 127.0.0.1 as behind a proxy) and sends the
form with one phone photo (EXIF and all: the server checks it, makes the copy without
metadata and keeps both). Rounds, with TIPOFF_LIMITS ip=3/1h, mobile=2/1d, all=700/1h:
1. 200 clients, 200 addresses, at once: all stored; p50/p95 of the POST.
2. 200 clients behind one address, at once: exactly 3 stored.
3. 200 clients, 200 addresses, one mobile number, at once: exactly 2 stored.
4. 600 more from 600 addresses (200 at a time): exactly as many as the overall limit leaves.
Baseline "form page": the same clients' GET of the form, at the same concurrency.
"""

from __future__ import annotations

import asyncio
import io
import re
import sqlite3
import statistics
import sys
import time
from dataclasses import dataclass

import aiohttp
import asyncpg
from PIL import Image

from bench.common import PG_URL, each_engine, write_result

CLIENTS = 200
LIMITS = {"ip": 3, "mobile": 2, "all": 700}


def phone_photo() -> bytes:
    """A 1600x1200 JPEG with grain, as a cheap phone saves it, with its EXIF."""
    grain = Image.effect_noise((1600, 1200), 24).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"
    exif[0x8825] = {1: "N", 2: (30.0, 16.0, 1.2), 3: "E", 4: (120.0, 9.0, 3.4)}
    out = io.BytesIO()
    grain.save(out, format="JPEG", quality=80, exif=exif)
    return out.getvalue()


@dataclass
class Sent:
    status: int
    seconds: float
    message_ok: bool


async def one(url: str, address: str, photo: bytes, mobile: str = "") -> tuple[float, Sent]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        headers = {"X-Forwarded-For": address}
        started = time.perf_counter()
        async with http.get(f"{url}/tipoffs/new", headers=headers) as page:
            meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', await page.text())
            token = meta.group(1)
        form_seconds = time.perf_counter() - started
        data = aiohttp.FormData()
        fields = {"category": "fire.ebike", "description": "楼道电动车飞线充电，请尽快处理"}
        fields |= {"address": "幸福路8号3幢", "mobile": mobile}
        for name, value in fields.items():
            data.add_field(name, value)
        data.add_field("photos", photo, filename="IMG_0001.jpg", content_type="image/jpeg")
        started = time.perf_counter()
        async with http.post(
            f"{url}/tipoffs",
            data=data,
            headers={**headers, "x-csrftoken": token},
            allow_redirects=False,
        ) as answer:
            text = await answer.text()
            seconds = time.perf_counter() - started
            # a refusal says so in Chinese and that nothing was saved
            message_ok = answer.status == 303 or "本次内容未保存" in text
            return form_seconds, Sent(answer.status, seconds, message_ok)


async def round_of(url: str, photo: bytes, addresses: list[str], mobile: str = "") -> list:
    return await asyncio.gather(*(one(url, a, photo, mobile) for a in addresses))


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) > 1 else values[0]


def stored(counts: list[tuple[float, Sent]]) -> int:
    return sum(1 for _, s in counts if s.status == 303)


async def rounds(url: str, photo: bytes) -> dict:
    first = await round_of(url, photo, [f"10.1.{i // 250}.{i % 250}" for i in range(CLIENTS)])
    sent = [s for _, s in first]
    same_address = await round_of(url, photo, ["10.9.9.9"] * CLIENTS)
    same_mobile = await round_of(
        url, photo, [f"10.2.{i // 250}.{i % 250}" for i in range(CLIENTS)], "13900009999"
    )
    rest = []
    for batch in range(3):
        addresses = [f"10.{3 + batch}.{i // 250}.{i % 250}" for i in range(CLIENTS)]
        rest += await round_of(url, photo, addresses)
    before = stored(first) + stored(same_address) + stored(same_mobile)
    everything = [*first, *same_address, *same_mobile, *rest]
    return {
        "post_p50_ms": round(statistics.median(s.seconds for s in sent) * 1000),
        "post_p95_ms": round(p95([s.seconds for s in sent]) * 1000),
        "form_page_p95_ms": round(p95([f for f, _ in first]) * 1000),
        "round1_stored": stored(first),
        "same_address_stored": stored(same_address),
        "same_mobile_stored": stored(same_mobile),
        "overall_stored_after": stored(rest),
        "overall_expected": LIMITS["all"] - before,
        "refusals_not_429": sum(1 for _, s in everything if s.status not in (303, 429)),
        "refusals_without_message": sum(1 for _, s in everything if not s.message_ok),
        "total_stored_by_answers": before + stored(rest),
    }


async def rows_in(engine: str, work) -> int:
    if engine == "postgres":
        conn = await asyncpg.connect(PG_URL)
        try:
            return await conn.fetchval("SELECT count(*) FROM tip_off")
        finally:
            await conn.close()
    with sqlite3.connect(work / "live.sqlite3") as db:
        return db.execute("SELECT count(*) FROM tip_off").fetchone()[0]


def main(argv: list[str] | None = None) -> None:
    del argv
    photo = phone_photo()
    limits = f"ip={LIMITS['ip']}/1h,mobile={LIMITS['mobile']}/1d,all={LIMITS['all']}/1h"
    results: dict = {"photo_bytes": len(photo), "clients": CLIENTS, "limits": limits}
    for engine, work, server in each_engine(TIPOFF_LIMITS=limits):
        found = asyncio.run(rounds(server.url, photo))
        found["rows_in_database"] = asyncio.run(rows_in(engine, work))
        found["limits_exact"] = (
            found["round1_stored"] == CLIENTS
            and found["same_address_stored"] == LIMITS["ip"]
            and found["same_mobile_stored"] == LIMITS["mobile"]
            and found["overall_stored_after"] == found["overall_expected"]
            and found["rows_in_database"] == found["total_stored_by_answers"] == LIMITS["all"]
        )
        results[engine] = found
        print(
            f"tipoffs {engine}: {CLIENTS} clients, photo {len(photo) // 1024} KB:"
            f" POST p50 {found['post_p50_ms']} ms, p95 {found['post_p95_ms']} ms"
            f" (baseline form page p95 {found['form_page_p95_ms']} ms);"
            f" limits exact: {found['limits_exact']} (ip {found['same_address_stored']}/3,"
            f" mobile {found['same_mobile_stored']}/2, overall {found['rows_in_database']}/700)",
            flush=True,
        )
    write_result("tipoffs", results)


if __name__ == "__main__":
    main(sys.argv[1:])
