"""The home page: bytes on the wire on a first and a repeat visit, and requests/s at 50 clients.

Baselines in the same run: the repeat visit is compared with the first one (what the
service worker saves), and the home page's throughput with a bare Litestar app's.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import async_playwright

from bench.common import ByteCounter, load, write_result
from tests.e2e.conftest import CHROMIUM_ARGS
from tests.live import live_server


async def transfer_sizes(server_url: str) -> dict[str, int]:
    counter = ByteCounter(urlsplit(server_url).port or 80)
    port = await counter.start()
    url = f"http://127.0.0.1:{port}/"
    sizes: dict[str, int] = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
        )
        context = await browser.new_context(viewport={"width": 375, "height": 667}, locale="zh-CN")
        page = await context.new_page()
        await page.goto(url, wait_until="load")
        sizes["first_load"] = counter.downstream_bytes
        await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        await page.wait_for_timeout(1500)  # precache and the copy of this page settle
        sizes["first_visit_with_precache"] = counter.downstream_bytes
        before = counter.downstream_bytes
        await page.reload(wait_until="load")
        await page.wait_for_timeout(500)
        sizes["repeat_load"] = counter.downstream_bytes - before
        await browser.close()
    await counter.stop()
    return sizes


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with live_server(work, EMBEDDED_WORKER="0") as ours:
            sizes = await transfer_sizes(ours.url)
            await load(ours.url + "/", seconds=1)  # warm up
            home = await load(ours.url + "/")
        with live_server(work, app="bench.baseline_app:create") as bare:
            await load(bare.url + "/", seconds=1)
            baseline = await load(bare.url + "/")
    result = {
        "transfer_bytes": sizes,
        "repeat_vs_first": round(sizes["repeat_load"] / sizes["first_load"], 3),
        "home_rps": round(home.rps, 1),
        "home_errors": home.errors,
        "baseline": "bare Litestar app, fixed page",
        "baseline_rps": round(baseline.rps, 1),
        "home_vs_baseline": round(home.rps / baseline.rps, 3),
        "clients": 50,
    }
    path = write_result("home", result)
    print(
        f"home: first load {sizes['first_load'] / 1024:.1f} KiB "
        f"(+precache {sizes['first_visit_with_precache'] / 1024:.1f} KiB), "
        f"repeat {sizes['repeat_load'] / 1024:.1f} KiB ({result['repeat_vs_first']:.0%}); "
        f"{home.rps:.0f} req/s at 50 clients vs baseline {baseline.rps:.0f} req/s "
        f"({result['home_vs_baseline']:.0%}), {home.errors} errors -> {path}"
    )
