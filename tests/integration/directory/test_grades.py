"""Risk grades as the field names them (重大 / 较大 / 一般 / 低), the riskiest first in every
list of places, and the new kinds of places and posts the stations work with."""

from __future__ import annotations

import pytest

from server.console.importer import run_import
from server.directory import service
from server.directory.admin import create_place
from server.directory.kinds import PlaceKind, PostKind, RiskGrade
from server.directory.scope import Scope
from tests.integration.directory.test_import import import_all

pytestmark = pytest.mark.db

EVERYTHING = Scope.of(None, [], [], everything=True)


async def test_the_riskiest_places_come_first(database) -> None:
    await import_all()
    grid = await service.area_by_code("339901001001-01")
    for code, grade in (("P010", RiskGrade.low), ("P011", RiskGrade.major), ("P012", None)):
        await create_place(
            code=code,
            name=code,
            kind=PlaceKind.shop,
            grid=grid,
            **({"risk_grade": grade} if grade else {}),
        )
    listed = [p.code for p in (await service.list_places(EVERYTHING)).items]
    # P002 (重大 by import) and P011 (重大), P001 较大, P012 一般 (the default), P010 低
    assert listed == ["P002", "P011", "P001", "P012", "P010"]
    under = [p.code for p in await service.places_under(EVERYTHING, grid)]
    assert under == listed
    assert [g.label for g in RiskGrade] == ["重大风险", "较大风险", "一般风险", "低风险"]
    assert [g.short for g in RiskGrade] == ["重", "较", "一", "低"]
    assert [g.colour for g in RiskGrade] == ["red", "orange", "yellow", "blue"]
    assert [g.inspect_every_days for g in RiskGrade] == sorted(
        g.inspect_every_days for g in RiskGrade
    )


async def test_new_kinds_of_places_and_posts_import(database) -> None:
    await import_all()
    places = (
        "code,name,kind,grid_code,risk_grade\n"
        "P200,望江闸,涵闸,339901001001-01,较大\n"
        "P201,望江排涝站,泵站,339901001001-01,一般\n"
        "P202,后山塘,山塘,339901001001-01,重大\n"
        "P203,老屋,危房,339901001001-01,橙\n"
        "P204,小饭馆,九小场所,339901001001-01,低\n"
    )
    report = await run_import("places", places.encode(), dry_run=False)
    assert report.errors == [] and report.applied
    people = (
        "name,mobile,post,area_code,place_code\n"
        "闸长,13800000070,技术责任人,,P200\n"
        "网长,13800000071,网格长,339901001001,\n"
        "两委,13800000072,村两委,339901001001,\n"
        "信息员,13800000073,灾害信息员,339901001001,\n"
        "水利员,13800000074,水利员,339901001,\n"
    )
    report = await run_import("people", people.encode(), dry_run=False)
    assert report.errors == [] and report.applied
    kinds = {
        (await service.place_by_code(c)).kind for c in ("P200", "P201", "P202", "P203", "P204")
    }
    assert kinds == {
        PlaceKind.sluice,
        PlaceKind.pumping_station,
        PlaceKind.pond,
        PlaceKind.dangerous_house,
        PlaceKind.nine_small,
    }
    assert (await service.place_by_code("P203")).risk_grade is RiskGrade.significant
    posts = {}
    for mobile in ("13800000070", "13800000071", "13800000072", "13800000073", "13800000074"):
        person = await service.person_by_mobile(mobile)
        [post] = await service.posts_of(person.id)
        posts[mobile] = post.kind
    assert list(posts.values()) == [
        PostKind.flood_technical,
        PostKind.grid_leader,
        PostKind.village_committee,
        PostKind.disaster_informant,
        PostKind.safety_officer,
    ]
