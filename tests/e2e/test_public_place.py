"""A resident scans a dyke's plate, logged out, on a 375x667 phone (issue 18): the plate opens
the dyke's public side with its three responsible persons (the section's guarantor, the
village's and the town's flood administrators), a call button each, and a tip-off form
filled with the dyke; the tip-off is sent and tracked. Screenshots of each step are saved
beside the test's tmp_path."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from playwright.async_api import Page

from server.settings import sqlite_path
from tests.e2e.conftest import PHONE
from tests.live import LiveServer

FLOOD = ("flood_admin", "flood_technical", "flood_guarantor")


def _dyke(live_server: LiveServer) -> tuple[str, str, set[str]]:
    """A dyke section's plate token, name, and the names its plate publishes (worked out
    here from the directory: posts at the place, and on the areas above it)."""
    with sqlite3.connect(sqlite_path(live_server.env["DATABASE_URL"])) as db:
        place_id, token, name, path = db.execute(
            "SELECT id, qr_token, name, area_path FROM place WHERE kind = 'embankment'"
            " ORDER BY code LIMIT 1"
        ).fetchone()
        parts = [p for p in path.split("/") if p]
        above = ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]
        marks = ",".join("?" for _ in above)
        kinds = ",".join("?" for _ in FLOOD)
        names = {
            row[0]
            for row in db.execute(
                "SELECT person.name FROM post JOIN person ON person.id = post.person"
                f" WHERE post.active AND post.kind IN ({kinds}) AND (post.place = ?"
                f" OR (post.place IS NULL AND post.area_path IN ({marks})))",
                (*FLOOD, place_id, *above),
            )
        }
    return token, name, names


async def test_a_resident_scans_a_dyke_plate(
    live_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    token, name, published = _dyke(live_server)
    assert len(published) == 3
    await page.goto(f"{live_server.url}/p/{token}")  # what the plate's QR code opens
    await page.locator("#place-public").wait_for()
    await page.screenshot(path=tmp_path / "1-plate.png")
    assert await page.locator("h1").inner_text() == name
    shown = await page.locator("#responsible li b").all_inner_texts()
    assert set(shown) == published and len(shown) == 3
    assert await page.locator("#responsible a[href^='tel:']").count() == 3
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"]
    box = await page.locator("#tipoff-here").bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"]  # one thumb

    await page.locator("#tipoff-here").click()
    await page.locator("#tipoff-form").wait_for()
    await page.screenshot(path=tmp_path / "2-form.png")
    assert name in await page.locator("#about-place").inner_text()
    assert name in await page.locator("input[name=address]").input_value()
    # the dyke's location came with it: no need to find one's own
    assert await page.locator("input[name=lat]").input_value() != ""
    await page.get_by_label("隐患类别").select_option("flood.seepage")
    await page.get_by_label("您看到了什么").fill("堤脚有渗水，水是浑的")
    await page.get_by_role("button", name="提交举报").click()
    await page.locator("#tracking-code").wait_for()
    await page.screenshot(path=tmp_path / "3-sent.png")
    assert (await page.locator("#tracking-code").inner_text()).strip()
    assert page.console_errors == []  # type: ignore[attr-defined]
