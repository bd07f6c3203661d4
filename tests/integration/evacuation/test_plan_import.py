"""Evacuation plans from CSV: shelters, zones and households as Excel saves them (GBK, Chinese
headers), every bad row by line with nothing imported, a station only within its town, the
page's upload and the command line."""

from __future__ import annotations

import json

import pytest
from litestar.testing import AsyncTestClient

from server.console.importer import run_import
from server.directory.scope import Scope
from server.evacuation import service
from server.evacuation.plan_import import import_kinds
from server.evacuation.tables import DangerZone, EvacRow, Household, Resident, Shelter
from tests.integration.evacuation.people import cast
from tests.integration.evacuation.test_pages import acting
from tests.integration.helpers import gridwatch, post_form

pytestmark = pytest.mark.db

SHELTERS = """编码,名称,级别,区域编码,容量,地址,设施,安全鉴定日期,管理员手机号
BN-QX-09,清溪村老年活动中心,村级,339901002001,40,清溪村8号,床铺,2025/4/1,{manager}
BN-QX-10,清溪镇文体中心,乡镇级,339901002,260,,,2020年3月5日,
"""
ZONES = """编码,名称,类型,区域编码,安置点编码,备注
WX-QX-09,清溪村北山山洪危险区,山洪,339901002001,BN-QX-09、BN-QX-10,
"""
HOUSEHOLDS = """户编码,危险区编码,网格编码,户主,人数,手机号,地址,包保人手机号,特殊人员
339901002001-H901,WX-QX-09,339901002001-01,赵大,3,13700009901,北山1号,{keeper},王阿婆(孤寡老人)、李伯（残疾人）
339901002001-H902,WX-QX-09,339901002001-02,钱二,2,,北山2号,,
"""


def everywhere() -> dict:
    return import_kinds(Scope.of(None, [], [], everything=True))


@pytest.mark.usefixtures("plans_kept")
async def test_plans_import_from_gbk_files_and_start_an_evacuation(demo) -> None:
    people = await cast()
    files = {
        "shelters": SHELTERS.format(manager=people["manager"].mobile),
        "zones": ZONES,
        "households": HOUSEHOLDS.format(keeper=people["keeper1"].mobile),
    }
    for kind, text in files.items():
        report = await run_import(kind, text.encode("gbk"), dry_run=False, kinds=everywhere())
        assert report.errors == [] and report.applied and report.encoding == "gb18030", kind
    hall = await Shelter.select().where(Shelter.code == "BN-QX-09").first()
    assert (
        hall["appraised_on"] == "2025-04-01" and hall["manager_id"] == people["manager"].person_id
    )
    zone = await DangerZone.select().where(DangerZone.code == "WX-QX-09").first()
    towns = await Shelter.select(Shelter.id).where(Shelter.code == "BN-QX-10").first()
    assert json.loads(zone["shelter_ids"]) == [str(hall["id"]), str(towns["id"])]
    first = await Household.select().where(Household.code == "339901002001-H901").first()
    assert first["special"] and first["people"] == 3 and first["keeper_post_id"] is not None
    residents = await Resident.select(Resident.name, Resident.need).where(
        Resident.household_id == first["id"]
    )
    assert {(r["name"], r["need"]) for r in residents} == {
        ("赵大", ""), ("王阿婆", "elderly_alone"), ("李伯", "disabled"),
    }  # fmt: skip

    # a second import of the same files changes nothing
    again = await run_import("households", files["households"].encode("gbk"), dry_run=False,
                             kinds=everywhere())  # fmt: skip
    assert again.created == 0 and again.skipped == 2

    # the imported zone is evacuated like the demo's: its two households on the roster
    made = await service.start(people["station"], service.Start("北山山洪", [zone["id"]]))
    roster = await EvacRow.select(EvacRow.special).where(EvacRow.evacuation_id == made)
    assert sorted(r["special"] for r in roster) == [False, True]


@pytest.mark.usefixtures("plans_kept")
async def test_a_bad_row_is_told_by_line_and_nothing_is_imported(demo) -> None:
    people = await cast()
    bad_households = (
        "户编码,危险区编码,网格编码,户主,人数,包保人手机号,特殊人员\n"
        "339901002001-H801,WX-QX-01,339901002001-01,孙三,2,,\n"  # good
        "339901002001-H802,WX-QX-01,339901002001-01,周四,0,,\n"  # no people
        "339901002001-H803,WX-NOPE,339901002001-01,吴五,2,,\n"  # unknown zone
        "339901002001-H804,WX-QX-01,339922002001-01,郑六,2,,\n"  # grid of another village
        "339901002001-H805,WX-QX-01,339901002001-01,冯七,2,,王阿婆(孤寡老人)\n"  # no keeper
        f"339901002001-H806,WX-QX-01,339901002001-01,陈八,2,{people['grid2'].mobile},\n"
        "339901002001-H807,WX-QX-01,339901002001-01,褚九,2,,王阿婆(外地人)\n"  # unknown need
        "339901002001-H801,WX-QX-01,339901002001-01,孙三,2,,\n"  # twice
    )
    report = await run_import("households", bad_households.encode(), dry_run=False,
                              kinds=everywhere())  # fmt: skip
    assert not report.applied
    assert sorted({line for line, _ in report.errors}) == [3, 4, 5, 6, 7, 8, 9]
    text = " ".join(message for _, message in report.errors)
    assert "没有编码为 WX-NOPE 的危险区域" in text and "结对包保人" in text
    assert await Household.count().where(Household.code == "339901002001-H801") == 0

    bad_shelters = (
        "编码,名称,级别,区域编码,容量\n"
        "BN-X1,甲,省级,339901002,100\n"  # no such level
        "BN-X2,乙,村级,339901002001,很多\n"  # not a number
    )
    report = await run_import("shelters", bad_shelters.encode(), dry_run=False, kinds=everywhere())
    assert [line for line, _ in report.errors] == [2, 3]
    assert await Shelter.count().where(Shelter.code.is_in(["BN-X1", "BN-X2"])) == 0


@pytest.mark.usefixtures("plans_kept")
async def test_a_station_plans_within_its_town_on_the_page(demo, client: AsyncTestClient) -> None:
    people = await cast()
    station = await acting(client, people["station"])
    page = (await station.get("/shelters")).text
    assert 'id="plan-import"' in page and "清溪村低洼易涝区" in page and "6户" in page
    theirs = "编码,名称,级别,区域编码,容量\nBN-QX-11,清溪村祠堂,村级,339901002001,55\n"
    other = "编码,名称,级别,区域编码,容量\nBN-TY-11,桃源村祠堂,村级,339922002001,55\n"

    async def upload(text: str, **form: str):
        return await post_form(
            station._as_me(), "/shelters/import", {"kind": "shelters", **form},
            files={"file": ("plan.csv", text.encode("gbk"), "text/csv")},
        )  # fmt: skip

    outside = await upload(other)
    assert outside.status_code == 422 and "不在您可规划的区域内" in outside.text
    checked = await upload(theirs, check="1")
    assert checked.status_code == 200 and "试运行" in checked.text
    assert await Shelter.count().where(Shelter.code == "BN-QX-11") == 0
    done = await upload(theirs)
    assert done.status_code == 200 and await Shelter.count().where(Shelter.code == "BN-QX-11") == 1
    grid = await acting(client, people["grid1"])
    assert 'id="plan-import"' not in (await grid.get("/shelters")).text

    # the cards of a zone of theirs print; another county's zone is not theirs
    zones = {z["code"]: z["id"] for z in await DangerZone.select(DangerZone.code, DangerZone.id)}
    cards = (await station.get(f"/shelters/zones/{zones['WX-QX-01']}/cards")).text
    assert cards.count("data-card=") == 6 and "339901002001-H001" in cards
    assert (await station.get(f"/shelters/zones/{zones['WX-TY-01']}/cards")).status_code == 404


def test_the_command_line_imports_plans(tmp_path, database_url: str) -> None:
    bad = tmp_path / "zones.csv"
    bad.write_bytes(
        "编码,名称,类型,区域编码,安置点编码\nWX-1,甲,火山,339900,BN-NONE\n".encode("gbk")
    )
    result = gridwatch(database_url, "import", "zones", str(bad), "--dry-run")
    assert result.returncode == 1, result.stderr
    assert f"{bad}:2:" in result.stderr and "未导入任何内容" in result.stdout


@pytest.mark.usefixtures("plans_kept")
async def test_a_station_edits_a_zone_and_a_household(demo, client: AsyncTestClient) -> None:
    people = await cast()
    station = await acting(client, people["station"])
    zone = await DangerZone.select().where(DangerZone.code == "WX-QX-01").first()
    page = (await station.get(f"/shelters/zones/{zone['id']}")).text
    assert page.count("data-household=") == 6 and 'id="zone-form"' in page
    household = await Household.select().where(Household.code == "339901002001-H001").first()
    url = f"/shelters/households/{household['id']}/edit"
    form = (await station.get(url)).text
    assert "(孤寡老人)" in form or "(残疾人)" in form or "(独居)" in form or "(卧床)" in form

    # a special-needs person without a keeper, and a bad count: both said, nothing lost
    bad = {"head_name": "龙华涵", "people": "两", "special": "王阿婆(孤寡老人)", "active": "1"}
    refused = await station.post(url, bad)
    assert refused.status_code == 422
    assert "人数应为" in refused.text and "须填写包保人手机号" in refused.text
    assert 'value="王阿婆(孤寡老人)"' in refused.text
    good = {**bad, "people": "4", "keeper_mobile": people["keeper1"].mobile}
    assert (await station.post(url, good)).status_code == 303
    saved = await Household.select().where(Household.id == household["id"]).first()
    assert (saved["people"], saved["special"], saved["active"]) == (4, True, True)
    residents = await Resident.select(Resident.name, Resident.need).where(
        Resident.household_id == household["id"]
    )
    assert sorted((r["name"], r["need"]) for r in residents) == [
        ("王阿婆", "elderly_alone"), ("龙华涵", ""),
    ]  # fmt: skip

    # the household moved away; the zone no longer in use: neither is offered
    assert (await station.post(url, {**good, "active": ""})).status_code == 303
    edit = {"name": "清溪村低洼易涝区", "kind": "low_lying", "shelter_codes": "BN-QX-02、BN-NONE"}
    wrong = await station.post(f"/shelters/zones/{zone['id']}/edit", {**edit, "active": "1"})
    assert wrong.status_code == 422 and "没有编码为 BN-NONE 的安置场所" in wrong.text
    made = await station.post(f"/shelters/zones/{zone['id']}/edit",
                              {**edit, "shelter_codes": "BN-QX-02"})  # fmt: skip
    assert made.status_code == 303
    offer = await service.proposal(people["station"], None, None)
    assert zone["id"] not in {z.id for z in offer.zones}
    other = await acting(client, people["other_grid"])
    assert (await other.get(url)).status_code in (403, 404)
