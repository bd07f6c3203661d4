"""A patrol walked offline on a phone with emulated GPS: started, the route followed,
check-ins by the code on the plate and by standing at the place, ended; back online the
server has the patrol, its track and its check-ins; coverage shows 2 of 3 and, after the
window (a controlled clock), the third is flagged missed."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta

from playwright.async_api import Browser, BrowserContext, Page

from server.patrols.windows import ZONE
from server.settings import sqlite_path
from tests.e2e.conftest import PHONE
from tests.e2e.pages.hazards import ReportPage
from tests.e2e.pages.login import LoginPage
from tests.e2e.pages.outbox import Outbox
from tests.e2e.pages.shell import Shell, overflow
from tests.live import LiveServer

GRID_MEMBER = "13900000007"
STATION = "13900000005"


def query(db: str, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql, args))


async def plan_three_places(page: Page, server: LiveServer, grid_path: str) -> str:
    """The station plans the grid member's patrol from the grid's first three places."""
    await LoginPage(page, server.url).as_person(STATION)
    await page.goto(f"{server.url}/patrols/plans/new?area={grid_path}")
    await page.get_by_label("名称").fill("每日巡查")
    boxes = page.locator("input[name=places]")
    for i in range(3):
        await boxes.nth(i).check()
    await page.locator("input[name=assignees]").first.check()
    await page.get_by_role("button", name="保存计划").click()
    await page.locator("#checkpoints").wait_for()
    return page.url.rsplit("/", 1)[1]


async def test_a_patrol_walked_offline(
    live_server: LiveServer, browser: Browser, context: BrowserContext, page: Page
) -> None:
    db = str(sqlite_path(live_server.env["DATABASE_URL"]))
    [(grid_path,)] = query(
        db,
        "SELECT area_path FROM post JOIN person ON person.id = post.person"
        " WHERE person.mobile = ? AND post.kind = 'grid_member'",
        GRID_MEMBER,
    )
    plan_id = await plan_three_places(page, live_server, grid_path)
    # the plan was made yesterday (its windows are judged from then on)
    query(
        db,
        "UPDATE patrol_plan SET created_at = ? WHERE id = ?",
        (datetime.now(ZONE) - timedelta(days=1)).isoformat(sep=" "),
        plan_id,
    )
    points = query(
        db,
        "SELECT id, name, lat, lng, qr_token FROM checkpoint WHERE plan_id = ? ORDER BY position",
        plan_id,
    )
    (_, _, lat1, lng1, token1), (_, _, lat2, lng2, _), _third = points

    phone: BrowserContext = await browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        has_touch=True,
        is_mobile=True,
        geolocation={"latitude": lat1, "longitude": lng1, "accuracy": 8},
    )
    await phone.grant_permissions(["geolocation"], origin=live_server.url)
    walker = await phone.new_page()
    errors: list[str] = []
    walker.on("pageerror", lambda e: errors.append(str(e)))
    await LoginPage(walker, live_server.url).as_person(GRID_MEMBER)
    shell = Shell(walker, live_server.url)
    await shell.wait_for_service_worker()
    await walker.goto(f"{live_server.url}/patrols")
    await walker.locator(f"#task-{plan_id}").click()
    await walker.locator("[data-patrol-start]").wait_for()
    assert await overflow(walker) <= 0
    await shell.wait_until_cached("/hazards/new")  # the phone keeps the report form
    walk_url = walker.url

    await phone.set_offline(True)
    await walker.locator("[data-patrol-start]").click()
    await walker.locator(".patrol[data-state=walking]").wait_for()
    await walker.locator("[data-show=fix]:not(:empty)").wait_for()  # the first fix
    first = walker.locator(f"[data-checkin='{points[0][0]}']")  # at the first place: its plate
    await first.locator("input[name=token]").fill(token1)
    await first.get_by_label("结果").select_option("hazard")  # and something wrong there
    await first.get_by_role("button", name="签到").click()
    # the report opens from the phone's copy, linked to the check-in, at the place
    report = ReportPage(walker, live_server.url)
    await walker.locator("#report-form [data-place-line]:not([hidden])").wait_for()
    hazard_id = await report.record_id()
    assert await walker.locator("#report-form input[name=place_id]").input_value()
    await walker.get_by_label("类别").select_option("fire.ebike")
    await walker.get_by_label("描述").fill("堤脚有渗水点")
    await report.submit()
    await walker.get_by_text("已离线保存").first.wait_for()
    await walker.goto(walk_url)  # back to the walk: it goes on where it was
    await walker.locator(".patrol[data-state=walking]").wait_for()
    await walker.locator(f"#point-{points[0][0]}[data-done=yes]").wait_for()
    for step in range(1, 7):  # then on to the second place
        f = step / 6
        await phone.set_geolocation(
            {
                "latitude": lat1 + (lat2 - lat1) * f,
                "longitude": lng1 + (lng2 - lng1) * f,
                "accuracy": 8,
            }
        )
        await walker.wait_for_timeout(300)
    second = walker.locator(f"[data-checkin='{points[1][0]}']")
    await second.get_by_label("我已到达（定位）").check()
    await second.get_by_role("button", name="签到").click()
    await walker.locator(f"#point-{points[1][0]}[data-done=yes]").wait_for()
    await walker.locator("[data-patrol-end]").click()
    await walker.locator(".patrol[data-state=ended]").wait_for()
    assert query(db, "SELECT count(*) FROM patrol") == [(0,)]  # nothing left the phone yet

    await phone.set_offline(False)
    await walker.goto(live_server.url + "/")  # opening the app again sends what was kept
    assert (await Outbox(walker).drained())["queued"] == 0
    [(patrol_id, state, track)] = query(db, "SELECT id, state, points FROM patrol")
    assert state == "ended" and track >= 4
    checkins = query(
        db, "SELECT method, flagged FROM check_in WHERE patrol_id = ? ORDER BY at", patrol_id
    )
    assert checkins == [("code", 0), ("geofence", 0)]
    [(linked,)] = query(db, "SELECT hazard_id FROM check_in WHERE method = 'code'")
    assert linked.replace("-", "") == hazard_id.replace("-", "")
    [(place, reporter)] = query(
        db, "SELECT place_id, reporter_name FROM hazard WHERE id = ?", linked
    )
    assert place and reporter  # the hazard reached the server, at the checkpoint's place
    await page.goto(f"{live_server.url}/patrols/plans/{plan_id}")
    assert await page.locator("[data-covered=yes]").count() == 2

    # after the window (tomorrow just past midnight, local time) the third is missed
    tomorrow = (datetime.now(ZONE) + timedelta(days=1)).replace(hour=0, minute=30)
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "patrols", "missed", "--at", tomorrow.isoformat()],
        env=live_server.env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "flagged 1 missed" in done.stdout
    await page.reload()
    assert await page.locator("#misses .tag.overdue").count() == 1
    await phone.close()
    assert page.console_errors == [] and errors == []  # type: ignore[attr-defined]
