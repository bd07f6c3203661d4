"""500 queued ~2 KB mutations drained by the phone's outbox in Chromium over a 1 Mbit/s,
300 ms RTT link (a TCP proxy shaping both directions, so the service worker's traffic is
shaped too), against the named baseline "loopback": the same drain with no shaping.
Target: < 10 s on the slow link."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path

from playwright.async_api import async_playwright

from bench.common import SlowLink, write_result
from server.directory.demo import DEMO_PASSWORD
from tests.e2e.conftest import CHROMIUM_ARGS
from tests.live import live_server

COUNT = 500
FILL = """async (n) => {
  const m = await import('/static/js/outbox.js');
  await m.ensureDevice(document.querySelector('meta[name=gw-device]').content);
  // ~2 KB each: 600 random CJK characters (~1.8 KB of UTF-8 that barely compresses)
  const text = () => Array.from({length: 600},
    () => String.fromCharCode(0x4e00 + Math.floor(Math.random() * 20000))).join('');
  for (let i = 0; i < n; i++) {
    await m.enqueue('note', 'create', crypto.randomUUID(),
      {title: '堤防渗漏 ' + i, status: 'open', area_path: '/339900/', body: text()}, 0);
  }
}"""


async def drain_seconds(url: str) -> float:
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
        )
        context = await browser.new_context(viewport={"width": 375, "height": 667})
        page = await context.new_page()
        await page.goto(url + "/login", timeout=120_000)
        await page.fill("input[name=mobile]", "13900000001")
        await page.fill("input[name=password]", DEMO_PASSWORD)
        await page.click("button[type=submit].primary")
        await page.locator("#my-areas").wait_for(timeout=120_000)
        await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        await context.set_offline(True)
        await page.evaluate(FILL, COUNT)
        counts = "import('/static/js/outbox.js').then(m => m.counts())"
        assert (await page.evaluate(counts))["queued"] == COUNT
        start = time.perf_counter()
        await context.set_offline(False)  # `online`: the page and the worker replay
        while (await page.evaluate(counts))["queued"]:
            await page.wait_for_timeout(100)
            if time.perf_counter() - start > 300:
                raise TimeoutError("the outbox did not drain in 5 minutes")
        elapsed = time.perf_counter() - start
        await browser.close()
        return elapsed


async def measure(server_url: str) -> dict:
    baseline = await drain_seconds(server_url)
    link = SlowLink(int(server_url.rsplit(":", 1)[1]))
    port = await link.start()
    try:
        slow = await drain_seconds(f"http://127.0.0.1:{port}")
    finally:
        await link.stop()
    return {
        "mutations": COUNT,
        "slow_link_s": round(slow, 2),
        "baseline": "loopback",
        "loopback_s": round(baseline, 2),
        "link": "1 Mbit/s each way, 300 ms RTT",
    }


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        live_server(
            Path(tmp), app="tests.integration.sync.live_app:create", EMBEDDED_WORKER="0"
        ) as srv,
    ):
        result = asyncio.run(measure(srv.url))
    path = write_result("drain", result)
    print(
        f"drain: {COUNT} queued mutations in {result['slow_link_s']} s over 1 Mbit/s, "
        f"300 ms RTT (target < 10 s); baseline loopback {result['loopback_s']} s -> {path}"
    )


if __name__ == "__main__":
    main()
