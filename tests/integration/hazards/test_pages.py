"""The loop through the real pages and forms: report, triage, assign, rectify, verify,
close; the assignment sheet, the inbox, and the ledger exports (read back with openpyxl)."""

from __future__ import annotations

import csv
import io
import re
import uuid

import openpyxl
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.directory.kinds import PostKind
from server.hazards.tables import Hazard
from tests.integration.hazards.people import GRID_MEMBER, STATION, viewer
from tests.integration.helpers import csrf_token, log_in

pytestmark = pytest.mark.db


def hidden(page: str, form_id: str) -> dict[str, str]:
    """The hidden fields of one form of a page, as the browser would send them."""
    form = page.split(f'id="{form_id}"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


async def submit(client: AsyncTestClient, page_url: str, form_id: str, action: str, **fields):
    page = (await client.get(page_url)).text
    data = {**hidden(page, form_id), **fields}
    token = await csrf_token(client)
    return await client.post(
        action, data=data, headers={"x-csrftoken": token}, follow_redirects=False
    )


@pytest.fixture
async def clients(app: Litestar, demo):
    async with AsyncTestClient(app=app) as grid, AsyncTestClient(app=app) as station:
        assert (await log_in(grid, GRID_MEMBER)).status_code == 303
        assert (await log_in(station, STATION)).status_code == 303
        yield grid, station


async def test_the_closed_loop_through_the_pages(clients) -> None:
    grid, station = clients
    grid_path = next(
        p.area_path for p in (await viewer(GRID_MEMBER)).posts if p.kind is PostKind.grid_member
    )
    form = (await grid.get("/hazards/new")).text
    assert "上报隐患" in form and "电动自行车飞线充电" in form

    # A bad report keeps what was typed and says why, in Chinese.
    bad = await submit(
        grid,
        "/hazards/new",
        "report-form",
        "/hazards",
        description="没选类别",
        area_path=grid_path,
    )
    assert bad.status_code == 422 and "请选择类别" in bad.text and "没选类别" in bad.text

    made = await submit(
        grid,
        "/hazards/new",
        "report-form",
        "/hazards",
        category="fire.ebike",
        level="general",
        description="3幢楼道飞线充电",
        area_path=grid_path,
        address="幸福小区3幢",
        lat="30.25",
        lng="120.16",
        photos_before="a" * 64,
    )
    assert made.status_code == 303, made.text
    url = made.headers["location"]
    hazard_id = uuid.UUID(url.rsplit("/", 1)[1])
    page = (await station.get(url)).text
    assert "待受理" in page and "3幢楼道飞线充电" in page and "照片上传中" in page
    home = (await station.get("/")).text  # the station's 今日: one tap to the new report
    assert 'id="today"' in home and 'href="/hazards?status=reported"' in home
    assert "新上报、待受理" in home

    accepted = await submit(station, url, "accept-form", f"{url}/accept", level="general")
    assert accepted.status_code == 303
    # the hazard page names where it is, and its pin corrects a wrong fix
    assert 'id="relocate-form"' in page and "data-pin-map" in page
    moved = await submit(
        grid, url, "relocate-form", f"{url}/relocate", lat="30.2512", lng="120.1634", accuracy="10"
    )
    assert moved.status_code == 303, moved.text
    assert "在地图上更正了位置" in (await station.get(url)).text
    row = await Hazard.select(Hazard.lat, Hazard.lng).where(Hazard.id == hazard_id).first()
    assert (row["lat"], row["lng"]) == (30.2512, 120.1634)
    no_pin = await submit(grid, url, "relocate-form", f"{url}/relocate", lat="", lng="")
    assert no_pin.status_code == 422 and "请在地图上放置标记" in no_pin.text
    grid_member = await viewer(GRID_MEMBER)
    assigned = await submit(
        station,
        url,
        "assign-form",
        f"{url}/assign",
        assignee_unit="幸福小区物业",
        assignee_id=str(grid_member.person_id),
        measures="拆除飞线，设置集中充电点",
        deadline="2030-01-15",
    )
    assert assigned.status_code == 303, assigned.text
    home = (await grid.get("/")).text  # the assignee's 今日
    assert "交办给我、待整改" in home and 'href="/hazards?status=assigned&amp;mine=1"' in home
    inbox = (await grid.get("/inbox")).text
    assert "有隐患交办给您" in inbox

    sheet = (await station.get(f"{url}/sheet")).text
    assert "隐患整改交办单" in sheet and "拆除飞线，设置集中充电点" in sheet

    no_photo = await submit(grid, url, "rectify-form", f"{url}/rectify", rectify_note="已拆")
    assert no_photo.status_code == 422 and "整改后" in no_photo.text
    rectified = await submit(
        grid, url, "rectify-form", f"{url}/rectify", rectify_note="已拆除", photos_after="b" * 64
    )
    assert rectified.status_code == 303
    waiting = (await grid.get(url)).text
    assert 'id="rectify-form"' not in waiting, "nothing left to rectify: no red form"
    closed = await submit(station, url, "verify-form", f"{url}/verify", verify_note="复核合格")
    assert closed.status_code == 303
    row = await Hazard.select(Hazard.status, Hazard.closed_at).where(Hazard.id == hazard_id).first()
    assert row["status"] == "closed" and row["closed_at"] is not None
    page = (await station.get(url)).text
    for event in ("上报", "已受理", "交办整改", "提交整改", "复核销号"):
        assert event in page
    assert 'id="rectify-form"' not in (await grid.get(url)).text

    workbook = await station.get("/hazards/ledger.xlsx?status=closed")
    assert workbook.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    named = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    [closed_row] = [r for r in named if r["描述"] == "3幢楼道飞线充电"]
    assert closed_row["状态"] == "已销号" and closed_row["整改时限"].year == 2030  # a date cell
    assert (closed_row["纬度"], closed_row["经度"]) == (30.2512, 120.1634)
    assert closed_row["网格"] and closed_row["乡镇（街道）"]

    summary = dict(openpyxl.load_workbook(io.BytesIO(workbook.content))["统计"].values)
    assert summary["已销号"] == 1 and summary["应整改"] == 1 and summary["整改率"] == 1.0

    text = (await station.get("/hazards/ledger.csv?status=closed")).content
    assert text.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert lines[0][0] == "编号" and any("3幢楼道飞线充电" in line for line in lines)


async def test_grid_member_cannot_export_or_act_as_staff(clients) -> None:
    grid, _ = clients
    assert (await grid.get("/hazards/ledger.xlsx")).status_code == 403


async def test_nearby_open_hazards_are_offered_before_a_duplicate(clients) -> None:
    grid, _ = clients
    grid_path = next(
        p.area_path for p in (await viewer(GRID_MEMBER)).posts if p.kind is PostKind.grid_member
    )
    made = await submit(
        grid,
        "/hazards/new",
        "report-form",
        "/hazards",
        category="flood.piping",
        level="major",
        area_path=grid_path,
        lat="30.2500",
        lng="120.1600",
        photos_before="f" * 64,
    )
    assert made.status_code == 303
    near = await grid.get("/hazards/nearby?category=flood.piping&lat=30.2504&lng=120.1600")
    assert "是这一条吗" in near.text and re.search(r"相距4[45]米", near.text)
    far = await grid.get("/hazards/nearby?category=flood.piping&lat=30.2600&lng=120.1600")
    assert "是这一条吗" not in far.text
    other = await grid.get("/hazards/nearby?category=fire.ebike&lat=30.2504&lng=120.1600")
    assert "是这一条吗" not in other.text


async def test_figures_and_bulletin_count_by_area(clients) -> None:
    from datetime import date, timedelta

    from server.hazards.adapter import HazardAdapter
    from server.syncing.service import register
    from tests.integration.hazards.people import hazard_in, send

    _, station_client = clients
    register(HazardAdapter())
    people = {"grid": await viewer(GRID_MEMBER), "station": await viewer(STATION)}
    await hazard_in("closed", people)
    late = await hazard_in("accepted", people)
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    assigned = await send(
        people["station"],
        "assign",
        late,
        {"assignee_unit": "城东五金店", "measures": "清理通道", "deadline": yesterday},
    )
    assert assigned.verdict == "applied"
    await hazard_in("reported", people)

    page = await station_client.get("/hazards/figures")
    assert page.status_code == 200
    total = page.text.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    cells = re.findall(r"<td>([^<]*)</td>", total)
    # reported, accepted, closed, due, rate, overdue, median days, major open
    assert cells[:6] == ["3", "2", "1", "2", "50.0%", "1"]
    assert cells[6] == "0.0"  # closed within seconds of the report: median 0.0 days
    assert "<svg" in page.text

    bulletin = (await station_client.get("/hazards/bulletin")).text
    assert "隐患整改情况通报" in bulletin and "城东五金店" in bulletin


async def test_admin_adds_and_retires_a_category(app: Litestar, demo) -> None:
    async with AsyncTestClient(app=app) as admin:
        assert (await log_in(admin, "13900000001")).status_code == 303
        token = await csrf_token(admin)

        async def post(url: str, **data: str):
            return await admin.post(
                url, data=data, headers={"x-csrftoken": token}, follow_redirects=False
            )

        bad = await post("/admin/hazard-categories", code="电", name="电梯")
        assert bad.status_code == 400 and "小写字母" in bad.text and 'value="电梯"' in bad.text
        made = await post("/admin/hazard-categories", code="lift", name="电梯困人", parent="other")
        assert made.status_code == 303
        page = (await admin.get("/hazards/new")).text
        assert 'value="other.lift"' in page
        again = await post("/admin/hazard-categories", code="lift", name="x", parent="other")
        assert again.status_code == 400 and "已有相同编码" in again.text
        assert (
            await post("/admin/hazard-categories/other.lift/active", active="0")
        ).status_code == 303
        assert 'value="other.lift"' not in (await admin.get("/hazards/new")).text
        await post("/admin/hazard-categories/other.lift/active", active="1")  # the demo stays whole


async def test_the_pending_page_lists_open_conflicts(clients) -> None:
    from server.hazards.adapter import HazardAdapter
    from server.syncing.service import register
    from tests.integration.hazards.people import hazard_in, send

    grid_client, _ = clients
    register(HazardAdapter())
    people = {"grid": await viewer(GRID_MEMBER), "station": await viewer(STATION)}
    record_id = await hazard_in("closed", people)
    late = await send(people["grid"], "rectify", record_id, {"photos_after": ["7" * 64]})
    assert late.verdict == "conflicted"
    page = (await grid_client.get("/sync/pending")).text
    assert f'href="/hazards/{record_id}"' in page and "隐患 · 状态" in page  # not "status"
    inbox = (await grid_client.get("/sync/conflicts")).text
    assert "隐患 · 状态" in inbox and "<strong>status</strong>" not in inbox
