"""Every page each role can reach from its home, found by following the links the pages show
(as a person tapping around would), checked as a phone shows them (375 px, Chinese fonts):
nothing scrolls sideways, no main action is too small for a thumb, no link leads to an error;
and as a desktop shows them (1280 px): no table is cut off.

A crawl takes one page of each kind (one hazard, one person: the same template) and
at most MAX_PAGES pages per role, so it stays within a minute or two."""

from __future__ import annotations

import re
import sqlite3
from collections import deque
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.async_api import Browser, Page

from server.settings import sqlite_path
from tests.e2e.conftest import PHONE
from tests.e2e.pages.callups import CallupForm
from tests.e2e.pages.login import LoginPage
from tests.e2e.pages.shell import overflow, small_targets
from tests.live import LiveServer

MAX_PAGES = 70
PER_KIND = 1
DESKTOP = {"width": 1280, "height": 800}
#: what a person taps that is not a page of the app: files, the way out, streams, photos
SKIP = re.compile(
    r"^/(logout|static/|sw\.js|media/|notify/live)|\.(xlsx|csv|png|jpg|svg)(\?|$)|/photos/|/stream"
)
#: the main actions of a page: buttons, button-like links, list rows, the tab bar, the trail
MAIN_ACTIONS = "main a.button, main button, main .row-link, main summary, .tabbar a, .trail a"
UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")

ROLES = {
    "grid_member": "13900000007",
    "station_staff": "13900000005",
    "bureau_staff": "13900000002",
    "duty_officer": "13900000003",
    "admin": "13900000001",
    "flood_guarantor": "",  # found in the database
    "resident": None,  # no account
}


def kind_of(url: str) -> str:
    """Pages of one kind: the same path with ids and numbers blanked, the same query keys."""
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|$)", "/#", UUID.sub("*", parts.path))
    keys = sorted({k for k, _ in parse_qsl(parts.query)} - {"page"})
    return f"{path}?{'&'.join(keys)}"


async def links_on(page: Page, origin: str) -> list[str]:
    hrefs = await page.evaluate(
        """() => [...document.querySelectorAll('a[href]')]
          .filter((a) => !a.hasAttribute('download'))
          .map((a) => a.href)"""
    )
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(parts.path + "?"):
            continue
        found.append(href.split("#", 1)[0])
    return found


async def crawl(page: Page, origin: str) -> tuple[dict[str, list[str]], list[str]]:
    """Visit what can be reached from the home; returns each page's problems at 375 px, and
    the pages that show a table (to see again on a desktop)."""
    seen: set[str] = set()
    per_kind: dict[str, int] = {}
    queue = deque([origin + "/"])
    problems: dict[str, list[str]] = {}
    came_from: dict[str, str] = {}
    tables: list[str] = []
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        kind = kind_of(url)
        if url in seen or per_kind.get(kind, 0) >= PER_KIND:
            continue
        seen.add(url)
        per_kind[kind] = per_kind.get(kind, 0) + 1
        response = await page.goto(url)
        await page.wait_for_load_state("load")
        await page.wait_for_timeout(150)  # fragments loaded on load (htmx) settle
        found = []
        status = response.status if response else 0
        if status >= 400:
            found.append(f"answers {status} (a link on {came_from.get(url, '')})")
        if (wide := await overflow(page)) > 0:
            found.append(f"{wide} px wider than the phone")
        if small := await small_targets(page, MAIN_ACTIONS):
            found.append(f"under 40 px: {small[:6]}")
        problems[url] = found
        if await page.locator("main table").count():
            tables.append(url)
        if status < 400:
            for link in await links_on(page, origin):
                if link not in seen:
                    came_from.setdefault(link, url)
                    queue.append(link)
    return problems, tables


async def clipped_tables(page: Page) -> list[str]:
    """Tables wider than the box they sit in (their last columns out of sight on a desktop)."""
    return await page.evaluate(
        """() => [...document.querySelectorAll('main table')]
          .filter((t) => t.offsetParent !== null)
          .filter((t) => t.scrollWidth > t.parentElement.clientWidth + 1
                      || t.getBoundingClientRect().right > document.documentElement.clientWidth)
          .map((t) => t.id || t.className || 'table')"""
    )


_seeded: list[bool] = []


async def seed(browser: Browser, server: LiveServer) -> None:
    """Once: a hazard reported in the grid member's grid, a patrol plan for it and a call-up,
    so that the crawl meets a hazard's page, its sheet, a walk and a call-up's board and
    report (the demo has none of them)."""
    if _seeded:
        return
    context = await browser.new_context(viewport=PHONE, locale="zh-CN")
    page = await context.new_page()
    await LoginPage(page, server.url).as_person(ROLES["grid_member"])
    await page.goto(server.url + "/hazards/new")
    await page.get_by_label("类别").select_option("fire.ebike")
    await page.get_by_label("描述").fill("巡查发现飞线充电")
    await page.get_by_role("button", name="提交上报").click()
    await page.locator("#relocate-form").wait_for()  # the hazard's page
    await context.clear_cookies()
    await LoginPage(page, server.url).as_person(ROLES["station_staff"])
    await page.goto(server.url + "/patrols/plans/new")
    await page.locator("select[name=area] option").nth(1).wait_for(state="attached")
    await page.locator("select[name=area]").select_option(index=1)
    await page.get_by_role("button", name="显示场所").click()
    await page.get_by_label("名称").fill("网格日常巡查")
    await page.locator("#plan-form input[name=places]").first.check()
    await page.locator("#plan-form input[name=assignees]").first.check()
    await page.get_by_role("button", name="保存计划").click()
    await page.locator("#checkpoints").wait_for()
    await context.clear_cookies()
    await LoginPage(page, server.url).as_person(ROLES["bureau_staff"])  # a call-up and its report
    await CallupForm(page, server.url).draft("巡查演练叫应", "蓝色（IV级）", "清溪村")
    await CallupForm(page, server.url).send()
    await context.close()
    _seeded.append(True)


@pytest.mark.parametrize("role", list(ROLES))
async def test_every_page_a_role_reaches_fits(
    live_server: LiveServer, browser: Browser, role: str
) -> None:
    await seed(browser, live_server)
    mobile = ROLES[role]
    if mobile == "":
        with sqlite3.connect(sqlite_path(live_server.env["DATABASE_URL"])) as db:
            [(mobile,)] = db.execute(
                "SELECT person.mobile FROM post JOIN person ON person.id = post.person"
                " WHERE post.kind = ? ORDER BY person.mobile LIMIT 1",
                (role,),
            )
    phone = await browser.new_context(
        viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True
    )
    page = await phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    if mobile:
        await LoginPage(page, live_server.url).as_person(mobile)
    problems, tables = await crawl(page, live_server.url)
    state = await phone.storage_state()
    await phone.close()
    bad = {url: found for url, found in problems.items() if found}
    assert len(problems) >= 3, f"{role} reaches only {list(problems)}"
    assert not bad, f"{role} at 375 px: {bad}"
    assert errors == [], errors

    desk = await browser.new_context(viewport=DESKTOP, locale="zh-CN", storage_state=state)
    page = await desk.new_page()
    clipped = {}
    for url in tables:
        await page.goto(url)
        if tables := await clipped_tables(page):
            clipped[url] = tables
    await desk.close()
    assert not clipped, f"{role} at 1280 px, tables cut off: {clipped}"
