"""CSV imports: good files, bad files (every bad row by line, nothing imported), GBK files."""

from __future__ import annotations

import pytest

from server.auth import service as auth
from server.console.importer import run_import
from server.directory.kinds import PostKind
from server.directory.service import area_by_code, person_by_mobile, place_by_code, posts_of
from server.directory.tables import Area, Person, Place
from tests.integration.helpers import gridwatch

pytestmark = pytest.mark.db

AREAS = """编码,名称,级别,上级编码,中心纬度,中心经度
339900,临江市,市,,30.05,120.05
339901,江北区,区,339900,,
339901001,城北街道,街道,339901,,
339901001001,望江社区,社区,339901001,,
339901001001-01,望江社区第1网格,网格,339901001001,30.1,120.1
"""
PLACES = """code,name,kind,grid_code,address,lat,lng,risk_grade
P001,望江便利店,商铺,339901001001-01,望江路1号,30.1,120.1,较大
P002,清溪河望江段,堤段,339901001001-01,,,,重大
"""
PEOPLE = """姓名,手机号,岗位,区域编码,场所编码,上级手机号,职务,密码
王站长,13800000001,station_staff,339901001,,,站长,station-pass-1
李网格,13800000002,网格员,339901001001-01,,13800000001,,grid-pass-22
李网格,13800000002,包保责任人,,P002,13800000001,,
"""


async def import_all(areas: bytes = AREAS.encode("utf-8-sig")) -> None:
    for kind, data in (("areas", areas), ("places", PLACES.encode()), ("people", PEOPLE.encode())):
        report = await run_import(kind, data, dry_run=False)
        assert report.errors == [] and report.applied, (kind, report.errors)


async def test_good_files_import(database) -> None:
    await import_all()
    grid = await area_by_code("339901001001-01")
    assert grid.path == "/339900/339901/339901001/339901001001/339901001001-01/"
    assert grid.center_lat == 30.1
    assert (await place_by_code("P002")).area_path == grid.path
    member = await person_by_mobile("13800000002")
    posts = await posts_of(member.id)
    assert {p.kind for p in posts} == {PostKind.grid_member, PostKind.flood_guarantor}
    station = await person_by_mobile("13800000001")
    [station_post] = await posts_of(station.id)
    assert all(p.superior_id == station_post.id for p in posts)
    assert await auth.login("13800000002", "grid-pass-22", ip="t", user_agent="t")


async def test_reimport_changes_nothing(database) -> None:
    await import_all()
    again = await run_import("areas", AREAS.encode(), dry_run=False)
    assert again.created == 0 and again.skipped == 5 and again.errors == []
    people = await run_import("people", PEOPLE.encode(), dry_run=False)
    assert people.errors == []
    # unchanged people, posts and passwords: nothing new, said so
    assert (people.created, people.skipped) == (0, 3)
    assert people.summary(dry_run=False) == ("人员：3行（utf-8），新增0，已登记3，错误0：已导入")
    member = await person_by_mobile("13800000002")
    assert len(await posts_of(member.id)) == 2
    moved = PEOPLE.replace("grid-pass-22", "grid-pass-33")  # a new password is a change
    assert (await run_import("people", moved.encode(), dry_run=False)).created == 1


async def test_a_row_typed_with_full_width_commas_says_so_once(database) -> None:
    typed = AREAS.replace("339901,江北区,区,339900,,", "339901，江北区，区，339900，，")
    report = await run_import("areas", typed.encode(), dry_run=False)
    # one message for the row (the rows under it then miss their parent: said for each)
    assert [m for line, m in report.errors if line == 3] == [
        "这一行用了中文逗号（，）分隔：请用英文逗号（,）保存文件。"
    ] and not report.applied
    whole = await run_import("areas", AREAS.replace(",", "，").encode(), dry_run=False)
    assert [line for line, _message in whole.errors] == [1]


async def test_bad_file_reports_every_bad_row_and_imports_nothing(database) -> None:
    bad = (
        "code,name,level,parent_code\n"
        "339900,临江市,city,\n"  # line 2: fine
        "33990,江北区,district,339900\n"  # line 3: 5 digits
        "339901,江北区,district,339900\n"  # line 4: fine
        "339901001,城北街道,村,339901\n"  # line 5: a village cannot lie under a district
        "339901002,,town,339901\n"  # line 6: no name
        "339901003,桃源乡,town,999999\n"  # line 7: unknown parent
        "339901004,某镇,planet,339901\n"  # line 8: unknown level
    )
    report = await run_import("areas", bad.encode(), dry_run=False)
    assert sorted({line for line, _ in report.errors}) == [3, 5, 6, 7, 8]
    assert not report.applied
    assert await Area.count() == 0, "a file with a bad row imports nothing"
    messages = dict(report.errors)
    assert "6" in messages[3] and "位" in messages[3]  # translated, names the digits
    assert "planet" in messages[8]


async def test_bad_places_and_people(database) -> None:
    await import_all()
    places = (
        "code,name,kind,grid_code,lat,lng,risk_grade\n"
        "P100,好的场所,shop,339901001001-01,30.1,120.1,一般\n"
        "P101,坐标不对,shop,339901001001-01,91,200,黄\n"
        "P102,没有网格,shop,000000000000-01,,,3\n"
        "P103,等级不对,shop,339901001001-01,,,Z\n"
        # a letter means the highest grade in one city's tables and the lowest in another's
        "P104,字母等级,shop,339901001001-01,,,A\n"
    )
    report = await run_import("places", places.encode(), dry_run=False)
    assert [line for line, _ in report.errors] == [3, 4, 5, 6]
    assert await place_by_code("P100") is None
    people = (
        "name,mobile,post,area_code,place_code,superior_mobile\n"
        "张三,12345,grid_member,339901001001-01,,\n"
        "李四,13800000009,station_staff,339901001001-01,,\n"
        "王五,13800000010,grid_member,339901001001-01,,13999999999\n"
    )
    report = await run_import("people", people.encode(), dry_run=False)
    assert [line for line, _ in report.errors] == [2, 3, 4]
    assert await Person.count() == 2  # only the good import's people


async def test_gbk_file(database) -> None:
    """What Excel saves on a Chinese Windows: GBK, no BOM."""
    await import_all(areas=AREAS.encode("gbk"))
    assert (await area_by_code("339901001")).name == "城北街道"
    report = await run_import(
        "places",
        "编码,名称,类型,网格编码\nP900,白沙江堤段,堤段,339901001001-01\n".encode("gb18030"),
        dry_run=False,
    )
    assert report.encoding == "gb18030" and report.applied
    assert (await place_by_code("P900")).name == "白沙江堤段"


async def test_missing_columns(database) -> None:
    report = await run_import("places", b"code,name\nP1,x\n", dry_run=False)
    assert report.errors and report.errors[0][0] == 1
    assert await Place.count() == 0


async def test_dry_run_changes_nothing(database) -> None:
    report = await run_import("areas", AREAS.encode(), dry_run=True)
    assert report.errors == [] and report.created == 5 and not report.applied
    assert await Area.count() == 0


def test_cli_dry_run_reports_lines(tmp_path, database_url: str) -> None:
    bad = tmp_path / "areas.csv"
    bad.write_bytes(
        "code,name,level,parent_code\n339900,临江市,city,\n1,坏,town,339900\n".encode("gbk")
    )
    result = gridwatch(database_url, "import", "areas", str(bad), "--dry-run")
    assert result.returncode == 1
    assert f"{bad}:3:" in result.stderr
    assert "未导入任何内容" in result.stdout  # the summary in the operator's language
