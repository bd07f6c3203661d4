"""Patrol plans through the pages: the station plans a grid's patrol from its places, the
grid member sees it, someone elsewhere does not; a bad form keeps what was typed."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import uuid

import openpyxl
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.auth.service import Viewer
from server.directory.kinds import PostKind
from server.patrols.adapter import PatrolAdapter
from server.patrols.tables import Checkpoint
from server.syncing import service as syncing
from tests.integration.hazards.people import (
    GRID_MEMBER,
    STATION,
    envelope,
    other_station,
    viewer,
)
from tests.integration.helpers import log_in, post_form

pytestmark = pytest.mark.db
PHOTO = "ab" * 32


async def test_plan_a_grid_patrol(app: Litestar, demo) -> None:
    grid = await viewer(GRID_MEMBER)
    grid_path = next(p.area_path for p in grid.posts if p.kind is PostKind.grid_member)
    async with AsyncTestClient(app=app) as station:
        assert (await log_in(station, STATION)).status_code == 303
        form = (await station.get("/patrols/plans/new", params={"area": grid_path})).text
        places = re.findall(r'name="places" value="([^"]+)"', form)
        assert len(places) >= 3
        assert f'name="assignees" value="{grid.person_id}"' in form
        refused = await post_form(
            station, "/patrols/plans", {"name": "堤段巡查", "area_path": grid_path}
        )
        assert refused.status_code == 422 and 'value="堤段巡查"' in refused.text
        made = await post_form(
            station,
            "/patrols/plans",
            {
                "name": "每日巡查",
                "area_path": grid_path,
                "schedule": "twice_daily",
                "radius_m": "40",
                "places": places[:3],
                "assignees": str(grid.person_id),
            },
        )
        assert made.status_code == 303
        plan_url = made.headers["location"]
        page = (await station.get(plan_url)).text
        assert (
            page.count('data-covered="no"') == 3 and page.count("半径40米") == 3
        )  # the radius asked for
    async with AsyncTestClient(app=app) as phone:
        assert (await log_in(phone, GRID_MEMBER)).status_code == 303
        assert "每日巡查" in (await phone.get("/patrols/plans")).text
        assert (await phone.get(plan_url)).status_code == 200
    async with AsyncTestClient(app=app) as elsewhere:
        assert (await log_in(elsewhere, await other_station())).status_code == 303
        assert (await elsewhere.get(plan_url)).status_code == 404
        assert "每日巡查" not in (await elsewhere.get("/patrols/plans")).text


async def patrol_two_of_three(station: AsyncTestClient, grid: Viewer) -> tuple[str, uuid.UUID]:
    """The station plans a weekly patrol of three places; the grid member walks it from the
    phone (start, four fixes, two check-ins by code, one with a photo on its way, end)."""
    grid_path = next(p.area_path for p in grid.posts if p.kind is PostKind.grid_member)
    form = (await station.get("/patrols/plans/new", params={"area": grid_path})).text
    places = re.findall(r'name="places" value="([^"]+)"', form)[:3]
    made = await post_form(
        station,
        "/patrols/plans",
        {
            "name": "周巡",
            "area_path": grid_path,
            "places": places,
            "assignees": str(grid.person_id),
        },
    )
    plan_id = made.headers["location"].rsplit("/", 1)[1]
    points = (
        await Checkpoint.select().where(Checkpoint.plan_id == plan_id).order_by(Checkpoint.position)
    )
    patrol_id = uuid.uuid4()
    now = syncing.now_ms()

    def send(op: str, fields: dict) -> dict:
        return envelope(op, patrol_id, fields, entity="patrol", device=88)

    await syncing.submit(send("start", {"plan_id": plan_id}), grid)
    track = [
        {
            "id": str(uuid.uuid4()),
            "lat": points[0]["lat"] + i * 1e-4,
            "lng": points[0]["lng"],
            "accuracy": 5,
            "at": now - 60_000 + i * 10_000,
        }
        for i in range(4)
    ]
    await syncing.submit(send("track", {"points": track}), grid)
    checkins = [
        {
            "id": str(uuid.uuid4()),
            "checkpoint_id": str(p["id"]),
            "method": "code",
            "token": p["qr_token"],
            "photos": [PHOTO] if n == 0 else [],
            "at": now,
        }
        for n, p in enumerate(points[:2])
    ]
    await syncing.submit(send("checkin", {"checkins": checkins}), grid)
    await syncing.submit(send("end", {}), grid)
    return plan_id, patrol_id


async def test_ledger_and_weekly_coverage(app: Litestar, demo) -> None:
    """A patrol that checked 2 of 3 checkpoints: a line in the ledger (.xlsx and CSV) and
    2/3 for its grid on the week's coverage page."""
    syncing.register(PatrolAdapter())
    grid = await viewer(GRID_MEMBER)
    async with AsyncTestClient(app=app) as station:
        assert (await log_in(station, STATION)).status_code == 303
        await patrol_two_of_three(station, grid)
        page = (await station.get("/patrols/coverage")).text
        assert re.search(r"<td>2/3 \(67%\)</td>", page)
        book = openpyxl.load_workbook(
            io.BytesIO((await station.get("/patrols/ledger.xlsx")).content), read_only=True
        )
        sheet = book[book.sheetnames[0]]
        lines = list(sheet.iter_rows(values_only=True))
        assert len(lines) == 2 and lines[1][3] == "周巡" and lines[1][7] == 4 and lines[1][8] == 2
        text = (await station.get("/patrols/ledger.csv")).content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) == 2 and rows[1][3] == "周巡"


async def test_a_patrol_for_its_supervisors(app: Litestar, demo) -> None:
    """The station's list and a patrol's page: summary, the track and checkpoints for the map,
    each check-in with its photo (still on its way), what was not checked; the walker sees
    their own patrol, a station elsewhere does not."""
    syncing.register(PatrolAdapter())
    grid = await viewer(GRID_MEMBER)
    async with AsyncTestClient(app=app) as station:
        assert (await log_in(station, STATION)).status_code == 303
        _plan_id, patrol_id = await patrol_two_of_three(station, grid)
        listed = (await station.get("/patrols/list")).text
        assert f'href="/patrols/{patrol_id}"' in listed and "周巡" in listed
        assert "已结束" in listed  # its state, translated
        page = (await station.get(f"/patrols/{patrol_id}")).text
        assert "已结束" in page
        summary = re.search(r'<p id="patrol-summary">(.*?)</p>', page, re.S)
        assert summary and re.sub(r"<[^>]+>|\s", "", summary.group(1)).endswith("2/3·轨迹点数4")
        marks = json.loads(html.unescape(re.search(r"data-checkpoints='([^']*)'", page).group(1)))
        assert [m["done"] for m in marks] == [True, True, False]
        track = json.loads(html.unescape(re.search(r"data-track='([^']*)'", page).group(1)))
        assert len(track) == 2  # four fixes on a straight line: its two ends
        assert page.count('<li id="checkin-') == 2 and page.count("手动输入编码") == 2
        assert page.count("照片上传中") == 1  # the photo named by the check-in, not here yet
        assert re.search(r'<ul class="list" id="unchecked">\s*<li>', page)
        assert 'data-tiles=""' in page  # no tiles configured: the plain grid
    async with AsyncTestClient(app=app) as phone:
        assert (await log_in(phone, GRID_MEMBER)).status_code == 303
        assert (await phone.get(f"/patrols/{patrol_id}")).status_code == 200
        assert f'href="/patrols/{patrol_id}"' in (await phone.get("/patrols/list")).text
    async with AsyncTestClient(app=app) as elsewhere:
        assert (await log_in(elsewhere, await other_station())).status_code == 303
        assert (await elsewhere.get(f"/patrols/{patrol_id}")).status_code == 404
        assert str(patrol_id) not in (await elsewhere.get("/patrols/list")).text
