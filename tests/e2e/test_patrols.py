"""A patrol walked offline on a phone with emulated GPS and a camera (Chromium's fake capture
device playing a clip of the plate): started, the route followed, check-ins by scanning the
plate's QR code and by standing at the place (with a photo), ended; back online the server
has the patrol, its track and its check-ins; the station sees the track on the map;
coverage shows 2 of 3 and, after the window (a controlled clock), the third is flagged
missed."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page

from server.patrols.windows import ZONE
from server.settings import sqlite_path
from tests.e2e.camera import plate_png, plate_video
from tests.e2e.conftest import CHROMIUM_ARGS, PHONE
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
    live_server: LiveServer, browser: Browser, context: BrowserContext, page: Page, tmp_path: Path
) -> None:
    db = str(sqlite_path(live_server.env["DATABASE_URL"]))
    [(grid_path,)] = query(
        db,
        "SELECT area_path FROM post JOIN person ON person.id = post.person"
        " WHERE person.mobile = ? AND post.kind = 'grid_member'",
        GRID_MEMBER,
    )
    plan_id = await plan_three_places(page, live_server, grid_path)
    # the plan was made yesterday (its windows are judged from then on); stored in UTC as the
    # app stores it (SQLite reads the text back without its offset)
    query(
        db,
        "UPDATE patrol_plan SET created_at = ? WHERE id = ?",
        (datetime.now(UTC) - timedelta(days=1)).isoformat(sep=" "),
        plan_id,
    )
    points = query(
        db,
        "SELECT id, name, lat, lng, qr_token FROM checkpoint WHERE plan_id = ? ORDER BY position",
        plan_id,
    )
    (_, _, lat1, lng1, token1), (_, _, lat2, lng2, _), (_, _, _, _, token3) = points
    # the phone's camera sees the first place's plate (what our plates carry: a URL)
    clip = plate_video(f"{live_server.env['BASE_URL']}/p/{token1}", tmp_path / "plate.y4m")
    camera_args = [
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={clip}",
    ]
    with_camera = await browser.browser_type.launch(
        executable_path=shutil.which("chromium"), args=[*CHROMIUM_ARGS, *camera_args]
    )
    phone: BrowserContext = await with_camera.new_context(
        viewport=PHONE,
        locale="zh-CN",
        has_touch=True,
        is_mobile=True,
        geolocation={"latitude": lat1, "longitude": lng1, "accuracy": 8},
    )
    await phone.grant_permissions(["geolocation", "camera"], origin=live_server.url)
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
    early = walker.locator(f"[data-checkin='{points[1][0]}']")  # 签到 before starting: said why
    await early.get_by_role("button", name="签到").click()
    await early.locator("[data-scan-said]:has-text('开始巡查')").wait_for()

    await phone.set_offline(True)
    await walker.locator("[data-patrol-start]").click()
    await walker.locator(".patrol[data-state=walking]").wait_for()
    await walker.locator("[data-show=fix]:not(:empty)").wait_for()  # the first fix
    # a plate read from a still photo (no camera stream): the code is filled in, not sent
    third = walker.locator(f"[data-checkin='{points[2][0]}']")
    await third.locator("input[data-scan-still]").set_input_files(
        files=[{"name": "plate.png", "mimeType": "image/png", "buffer": plate_png(token3)}]
    )
    await third.locator(f"[data-scan-said]:has-text('{token3}')").wait_for()
    assert await third.locator("input[name=token]").input_value() == token3
    await third.locator("input[name=token]").fill("")
    first = walker.locator(f"[data-checkin='{points[0][0]}']")  # at the first place: its plate
    await first.get_by_role("button", name="扫描二维码").click()
    await first.locator(f"[data-scan-said]:has-text('{token1}')").wait_for()  # the camera read it
    assert await walker.locator("[data-scanner]").is_hidden()  # and was let go
    assert await first.locator("input[name=token]").input_value() == token1
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
    await second.locator("input[data-photos]").set_input_files(
        files=[{"name": "dyke.png", "mimeType": "image/png", "buffer": plate_png("堤脚")}]
    )
    await second.locator("[data-photo-preview] img").wait_for()
    await second.get_by_role("button", name="签到").click()
    await walker.locator(f"#point-{points[1][0]}[data-done=yes]").wait_for()
    await walker.locator("[data-patrol-end]").click()
    await walker.locator(".patrol[data-state=ended]").wait_for()
    # nothing left the phone yet
    assert query(db, "SELECT count(*) FROM patrol WHERE plan_id = ?", plan_id) == [(0,)]

    await phone.set_offline(False)
    await walker.goto(live_server.url + "/")  # opening the app again sends what was kept
    assert (await Outbox(walker).drained())["queued"] == 0
    [(patrol_id, state, track)] = query(
        db, "SELECT id, state, points FROM patrol WHERE plan_id = ?", plan_id
    )
    assert state == "ended" and track >= 4
    checkins = query(
        db,
        "SELECT method, token, flagged, json_array_length(photos) FROM check_in"
        " WHERE patrol_id = ? ORDER BY at",
        patrol_id,
    )
    assert checkins == [("qr", token1, 0, 0), ("geofence", "", 0, 1)]
    [(linked,)] = query(db, "SELECT hazard_id FROM check_in WHERE method = 'qr'")
    assert linked.replace("-", "") == hazard_id.replace("-", "")
    [(place, reporter)] = query(
        db, "SELECT place_id, reporter_name FROM hazard WHERE id = ?", linked
    )
    assert place and reporter  # the hazard reached the server, at the checkpoint's place
    await page.goto(f"{live_server.url}/patrols/plans/{plan_id}")
    assert await page.locator("[data-covered=yes]").count() == 2
    # the station opens the patrol: its track, checkpoints and check-ins on the map (no tiles
    # configured: the plain grid with a scale bar), the photo from the check-in
    # a name imported from CSV is text in the map's tooltip, never markup (issue 14, finding 10)
    query(db, "UPDATE checkpoint SET name = ? WHERE id = ?", "<b>老旧小区</b>", points[2][0])
    await page.goto(f"{live_server.url}/patrols/{patrol_id}")
    await page.locator("#track-map[data-drawn]").wait_for()
    tips = []
    for n in range(3):
        await page.locator("#track-map path.track-checkpoint").nth(n).hover(force=True)
        tips.append(await page.locator(".leaflet-tooltip").last.inner_html())
    assert "&lt;b&gt;老旧小区&lt;/b&gt;" in "".join(tips), tips
    assert await page.locator(".leaflet-tooltip b").count() == 0
    assert await page.locator("#track-map path.track-line").count() == 1
    assert await page.locator("#track-map path.track-checkpoint").count() == 3
    assert await page.locator("#track-map path.track-checkin").count() == 2
    assert await page.locator(".plain-grid canvas").count() > 0
    assert "m" in await page.locator(".leaflet-control-scale-line").inner_text()
    await page.locator("#checkins img.thumb").wait_for()
    assert await overflow(page) <= 0

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
    await page.goto(f"{live_server.url}/patrols/plans/{plan_id}")
    assert await page.locator("#misses .tag.overdue").count() == 1
    await phone.close()
    await with_camera.close()
    assert page.console_errors == [] and errors == []  # type: ignore[attr-defined]
