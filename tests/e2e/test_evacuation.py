"""An evacuation end to end on 375x667 phones (issue 19): a red warning for 清溪村 starts it;
two grid members mark their households, one of them without signal (a special-needs person
moved to the shelter), the other a refusal; the shelter's manager checks the family in; the
board follows each step without a reload; after the window, the special-needs person nobody
marked escalates to their keeper; the station lifts the warning, the board turns to the return
home by itself, and the family checks out."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page

from server.settings import sqlite_path
from tests.e2e.pages.callups import Board
from tests.e2e.pages.login import LoginPage
from tests.e2e.pages.outbox import Outbox
from tests.e2e.pages.shell import Shell
from tests.e2e.test_day_in_the_field import Steps, phone, query
from tests.live import LiveServer

VILLAGE = "339901002001"  # 清溪村


def holder(db: str, kind: str, path_like: str) -> str:
    [(mobile,)] = query(
        db,
        "SELECT p.mobile FROM post s JOIN person p ON p.id = s.person"
        " WHERE s.kind = ? AND s.area_path LIKE ? AND s.place IS NULL LIMIT 1",
        kind,
        path_like,
    )
    return mobile


def escalate(server: LiveServer, at: datetime) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "evacuation", "escalate", "--at", at.isoformat()],
        env=server.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


async def signed_in(
    browser: Browser, server: LiveServer, mobile: str
) -> tuple[BrowserContext, Page]:
    context = await phone(browser)
    page = await context.new_page()
    await LoginPage(page, server.url).as_person(mobile)
    return context, page


async def qingxi_station(browser: Browser, server: LiveServer) -> tuple[BrowserContext, Page]:
    """The station of 清溪镇, signed in on a phone."""
    db = str(sqlite_path(server.env["DATABASE_URL"]))
    return await signed_in(browser, server, holder(db, "station_staff", "%/339901002/"))


async def test_an_evacuation_marked_offline_checked_in_escalated_and_returned(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    db = str(sqlite_path(live_server.env["DATABASE_URL"]))
    url = live_server.url
    steps = Steps(tmp_path)
    station_ctx, station = await qingxi_station(browser, live_server)
    # the red warning for the village, from the station's phone
    await station.goto(url + "/warnings/new")
    form = station.locator("form").filter(has=station.locator("input[name=headline]"))
    await form.locator("select[name=hazard_type]").select_option("flood")
    await form.locator("input[name=level][value=red]").check()
    await form.locator("input[name=headline]").fill("清溪河洪水红色预警")
    await form.locator("label", has_text="清溪村").locator("input").check()
    await form.locator("button[type=submit]").click()
    await station.locator("#evacuate-from-warning").wait_for()
    warning_url = station.url
    await station.locator("#evacuate-from-warning").click()
    await station.locator("#evacuation-form").wait_for()
    await steps.shot(station, "start")
    assert await station.locator("input[name=zones]:checked").count() == 2
    await station.get_by_role("button", name="启动转移").click()
    board = Board(station)
    await station.locator("[data-board-src]").wait_for()
    await board.mark()
    total = await board.count("to_move")
    assert total == 10
    evacuation_id = station.url.rsplit("/", 1)[1]
    await steps.shot(station, "board-started")

    # grid member 1: the home says what to do; the households are kept on the phone
    g1_ctx, g1 = await signed_in(browser, live_server, holder(db, "grid_member", f"%{VILLAGE}-01/"))
    shell = Shell(g1, url)
    await shell.wait_for_service_worker()
    await g1.goto(url + "/")
    banner = g1.locator(f"#evacuation-{evacuation_id}")
    await banner.wait_for()
    await steps.shot(g1, "grid-home")
    await banner.locator("a").click()
    await g1.locator("#my-households").wait_for()
    first = g1.locator("#my-households li").first
    row_id = await first.get_attribute("data-evac-row")
    assert "特殊人群" in await first.inner_text()  # the special-needs first
    await shell.wait_until_cached(f"/evacuations/rows/{row_id}")
    await steps.shot(g1, "grid-households")

    # ...and marks the special-needs household moved to the hall, without signal
    await g1_ctx.set_offline(True)
    await g1.goto(f"{url}/evacuations/rows/{row_id}")
    await g1.locator("#moved-form").wait_for()
    await steps.shot(g1, "grid-household")
    await g1.locator("#moved-form label", has_text="清溪村文化礼堂").locator("input").check()
    await g1.locator("#moved-form button[type=submit]").click()
    await g1.get_by_text("已离线保存").first.wait_for()
    await g1.goto(f"{url}/evacuations/{evacuation_id}/mine")
    kept = g1.locator(f'li[data-evac-row="{row_id}"][data-kept]')
    await kept.wait_for()
    assert "已在本机标记，待发送" in await kept.inner_text()
    await steps.shot(g1, "grid-kept-offline")
    await station.wait_for_timeout(1500)
    assert await board.count("moved") == 0  # nothing has reached the server yet

    # grid member 2, in signal: a refusal, with the reason
    g2_ctx, g2 = await signed_in(browser, live_server, holder(db, "grid_member", f"%{VILLAGE}-02/"))
    await g2.goto(f"{url}/evacuations/{evacuation_id}/mine")
    plain = g2.locator("#my-households li", has_not=g2.locator(".tag.warn")).first
    await plain.locator("a").click()
    await g2.locator("details summary", has_text="拒绝转移").click()
    await g2.locator("#refused-form input[name=reason]").fill("老人不愿离开，要看家")
    await steps.shot(g2, "refusal")
    await g2.locator("#refused-form button[type=submit]").click()
    await g2.locator("#my-households").wait_for()
    assert await board.wait_count("refused", 1) == 1  # live, without a reload

    # grid member 1 back in signal: the mark is sent and shows on the board
    await g1_ctx.set_offline(False)
    await g1.goto(url + "/")
    assert (await Outbox(g1).drained())["queued"] == 0
    assert await board.wait_count("moved", 1) == 1
    await steps.shot(station, "board-marked")

    # the shelter's manager sees the family coming and checks them in
    m_ctx, manager = await signed_in(
        browser, live_server, holder(db, "village_committee", f"%{VILLAGE}/")
    )
    await manager.locator("#my-shelters a").first.click()
    coming = manager.locator("#coming li").first
    await coming.wait_for()
    await steps.shot(manager, "shelter-coming")
    await coming.get_by_role("button", name="登记入住").click()
    await manager.locator("#inside li").first.wait_for()
    await steps.shot(manager, "shelter-inside")
    assert await board.wait_count("inside", 1) == 1

    # after the window, a special-needs household nobody marked: its keeper is told
    [(started,)] = query(db, "SELECT started_at FROM evacuation WHERE id = ?", evacuation_id)
    said = escalate(live_server, datetime.fromisoformat(started) + timedelta(minutes=31))
    assert "escalated" in said and not said.startswith("escalated 0")
    told = query(
        db,
        "SELECT p.mobile FROM message m JOIN person p ON p.id = m.recipient_id"
        " JOIN post s ON s.person = p.id WHERE m.kind = 'evacuation' AND s.kind = ?",
        "household_keeper",
    )
    assert told, "the keeper of an unmarked special-needs household is told"
    await station.locator("#evac-open", has_text="已上报1轮").wait_for()
    await steps.shot(station, "board-escalated")

    # the danger is over: the station lifts the warning on another tab; the worker's next
    # round turns the evacuation to the return home; the board says so without a reload
    lifting = await station_ctx.new_page()
    await lifting.goto(warning_url)
    await lifting.locator("#lift-form button").click()
    await lifting.locator("#lift-form").wait_for(state="detached")
    await lifting.close()
    escalate(live_server, datetime.now().astimezone())
    await station.locator("[data-board-src] h2", has_text="返迁中").wait_for()
    await manager.reload()
    await manager.locator("#inside li button", has_text="离开").click()
    await manager.get_by_text("暂无人员入住").wait_for()
    assert await board.wait_count("inside", 0) == 0
    await steps.shot(station, "board-returning")
    for ctx in (station_ctx, g1_ctx, g2_ctx, m_ctx):
        await ctx.close()
