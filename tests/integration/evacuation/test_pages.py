"""An evacuation through the real pages: started from the warning's page, the grid member's
households on the home and the mark form, the station's board and report, the shelter's door,
the return home; a resident's data only for those answering for them."""

from __future__ import annotations

import io
import re
import uuid

import openpyxl
import pytest
from litestar.testing import AsyncTestClient

from server import db
from server.auth import service as auth
from server.directory.kinds import PostKind
from server.evacuation import escalation, service, shelters
from server.evacuation.tables import EvacRow, Shelter
from tests.integration.evacuation.people import QINGXI_VILLAGE, cast, red_warning, rows, started
from tests.integration.helpers import post_form

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("plans_kept")]


class As:
    """One test client, its session cookie swapped to act as each person in turn (a CSRF
    token is bound to the session it was issued under: post_form fetches one each time)."""

    def __init__(self, client: AsyncTestClient, token: str) -> None:
        self.client, self.token = client, token

    def _as_me(self) -> AsyncTestClient:
        self.client.cookies.clear()
        self.client.cookies.set("gw_session", self.token)
        return self.client

    async def get(self, url: str, **kwargs):
        return await self._as_me().get(url, **kwargs)

    async def post(self, url: str, data: dict):
        return await post_form(self._as_me(), url, data)


async def acting(client: AsyncTestClient, who) -> As:
    async with db.current().write():
        token = await auth.open_session(who.person_id, ip="127.0.0.1", user_agent="test")
    return As(client, token)


async def test_from_the_warning_to_the_report(demo, client: AsyncTestClient) -> None:
    people = await cast()
    station = await acting(client, people["station"])
    grid = await acting(client, people["grid1"])
    other = await acting(client, people["other_grid"])
    manager = await acting(client, people["manager"])
    warning_id = await red_warning(people["station"])
    page = (await station.get(f"/warnings/{warning_id}")).text
    assert f"/evacuations/new?warning={warning_id}" in page
    offer = (await station.get(f"/evacuations/new?warning={warning_id}")).text
    ticked = re.findall(r'name="zones" value="([0-9a-f-]+)" checked', offer)
    assert len(ticked) == 2 and "清溪村低洼易涝区" in offer
    empty = await station.post("/evacuations", {"title": "清溪河洪水", "window": "30"})
    assert empty.status_code == 422 and "请至少选择一个危险区域" in empty.text
    made = await station.post("/evacuations",
        {"title": "清溪河洪水转移", "zones": ticked, "window": "30",
         "warning_id": str(warning_id)},
    )  # fmt: skip
    assert made.status_code == 303
    evacuation = made.headers["location"]
    evacuation_id = uuid.UUID(evacuation.rsplit("/", 1)[1])
    board = (await station.get(evacuation)).text
    assert "实时看板" in board and 'data-count="to_move">10<' in board
    listed = (await station.get("/evacuations")).text
    assert '<tr id="figures-real"><th>实战</th><td>1</td><td>10</td>' in listed

    # the grid member: the home says what to do, one tap from the list of their households
    home = (await grid.get("/")).text
    assert "正在转移" in home and f"/evacuations/{evacuation_id}/mine" in home
    # the city's administrator answers for every area: their home counts every household
    admin_home = await (await acting(client, people["admin"])).get("/")
    assert admin_home.status_code == 200 and f"/evacuations/{evacuation_id}/mine" in admin_home.text
    mine = (await grid.get(f"/evacuations/{evacuation_id}/mine")).text
    roster = await rows(evacuation_id)
    grid_path = f"{QINGXI_VILLAGE}-01"
    theirs = [r for r in roster if grid_path in r["area_path"]]
    others = [r for r in roster if grid_path not in r["area_path"]]
    assert all(f"/evacuations/rows/{r['id']}" in mine for r in theirs)
    assert not any(f"/evacuations/rows/{r['id']}" in mine for r in others)
    row_page = (await grid.get(f"/evacuations/rows/{theirs[0]['id']}")).text
    assert "已转移到安置点" in row_page and "拒绝转移" in row_page
    assert (await grid.get(f"/evacuations/rows/{others[0]['id']}")).status_code == 404
    assert (await other.get(f"/evacuations/rows/{theirs[0]['id']}")).status_code == 404
    assert (await grid.get(evacuation, follow_redirects=False)).status_code == 303

    hall = (await Shelter.select().where(Shelter.code == "BN-QX-01").first())["id"]
    refused = await grid.post(f"/evacuations/rows/{theirs[0]['id']}/mark", {"mark": "refused"})
    assert refused.status_code == 422 and "请填写拒绝原因" in refused.text
    moved = await grid.post(
        f"/evacuations/rows/{theirs[0]['id']}/mark",
        {"mark": "moved", "destination": "shelter", "shelter_id": str(hall), "heads": "2"},
    )
    assert moved.status_code == 303
    board = (await station.get(f"/evacuations/{evacuation_id}/board")).text
    assert 'data-count="moved">1<' in board and 'data-count="to_move">9<' in board

    # the shelter's manager sees them coming, checks them in
    door = (await manager.get(f"/shelters/{hall}")).text
    assert theirs[0]["code"] in door
    unknown = await manager.post(f"/shelters/{hall}/checkin", {"code": "NOPE"})
    assert unknown.status_code == 422 and "没有这个编号的住户" in unknown.text
    checked = await manager.post(f"/shelters/{hall}/checkin", {"code": theirs[0]["code"]})
    assert checked.status_code == 303
    assert "已安置2人" in (await manager.get(f"/shelters/{hall}")).text
    assert (await grid.get(f"/shelters/{hall}")).status_code == 404

    report = await station.get(f"/evacuations/{evacuation_id}/report.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(report.content))
    assert book.worksheets[2].max_row == 11

    assert (await station.post(f"{evacuation}/return", {})).status_code == 303
    assert "返迁中" in (await station.get(evacuation)).text
    inside = await EvacRow.select().where(EvacRow.id == theirs[0]["id"]).first()
    out = await manager.post(f"/shelters/{hall}/checkout/{inside['id']}", {})
    assert out.status_code == 303
    assert "暂无人员入住" in (await manager.get(f"/shelters/{hall}")).text


async def test_staff_see_flags_on_shelters(demo, client: AsyncTestClient) -> None:
    people = await cast()
    station = await acting(client, people["station"])
    page = (await station.get("/shelters")).text
    # 清溪镇中心小学: appraised in 2021, more than three years ago
    assert "清溪镇中心小学避灾安置场所" in page and "需安全鉴定" in page
    assert "清溪河清溪村段堤防背水侧" in page
    assert "桃源村" not in page  # another town's plans are not the station's


async def test_staff_edit_a_shelter_and_open_or_close_it(demo, client: AsyncTestClient) -> None:
    people = await cast()
    station = await acting(client, people["station"])
    hall = (await Shelter.select().where(Shelter.code == "BN-QX-01").first())["id"]
    form = (await station.get(f"/shelters/{hall}/edit")).text
    assert 'name="capacity" required inputmode="numeric" value="60"' in form
    assert people["manager"].mobile in form
    good = {"name": "清溪村文化礼堂避灾安置点", "capacity": "80", "open": "1",
            "manager_mobile": people["manager"].mobile, "appraised_on": "2025-05-10"}  # fmt: skip
    bad = await station.post(f"/shelters/{hall}/edit", {**good, "capacity": "八十"})
    assert bad.status_code == 422 and "容量应为 1 到 100000 之间的整数" in bad.text
    assert 'value="清溪村文化礼堂避灾安置点"' in bad.text  # what was typed is kept
    assert (await station.post(f"/shelters/{hall}/edit", good)).status_code == 303
    saved = await Shelter.select().where(Shelter.id == hall).first()
    assert (saved["capacity"], saved["open"], saved["appraised_on"]) == (80, True, "2025-05-10")
    assert "开放中" in (await station.get("/shelters")).text

    # people inside: it cannot be closed; the manager runs the door, not the plan
    evacuation_id = await started(people["station"])
    [first, *_] = await rows(evacuation_id)
    await shelters.check_in(people["manager"], hall, first["code"], 2)
    closed = await station.post(f"/shelters/{hall}/edit", {**good, "open": ""})
    assert closed.status_code == 422 and "仍有2人在安置点内" in closed.text
    manager = await acting(client, people["manager"])
    assert (await manager.get(f"/shelters/{hall}/edit")).status_code in (403, 404)


async def test_lifting_the_warning_starts_the_return_home(demo, client: AsyncTestClient) -> None:
    people = await cast()
    station = await acting(client, people["station"])
    evacuation_id = await started(people["station"])
    warning_id = (await service.load(evacuation_id)).warning_id
    grid = await acting(client, people["grid1"])
    assert (await grid.post(f"/warnings/{warning_id}/lift", {})).status_code == 403
    page = (await station.get(f"/warnings/{warning_id}")).text
    assert 'id="lift-form"' in page and "解除预警" in page
    assert (await station.post(f"/warnings/{warning_id}/lift", {})).status_code == 303
    assert 'id="lift-form"' not in (await station.get(f"/warnings/{warning_id}")).text
    again = await station.post(f"/warnings/{warning_id}/lift", {})
    assert again.status_code == 409 and "此预警已不在生效状态" in again.text
    await escalation.escalate()
    assert "返迁中" in (await station.get(f"/evacuations/{evacuation_id}")).text


async def test_a_keeper_holds_a_post_of_its_own_kind(demo) -> None:
    people = await cast()
    assert PostKind.household_keeper in people["keeper1"].kinds
