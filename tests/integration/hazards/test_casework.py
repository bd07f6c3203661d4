"""Casework as stations do it (issue 18): 转办 to the responsible department, the numbered
督办通知书 delisted by its supervising unit only, and 回头看 after closure; all through the
real sync path, on both engines."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.auth.service import Viewer
from server.directory import departments
from server.directory.kinds import PostKind
from server.directory.tables import Post
from server.errors import NotFound
from server.hazards import service
from server.hazards.adapter import HazardAdapter
from server.hazards.policy import RECHECK_DAYS, Status
from server.hazards.records import Filters
from server.hazards.tables import Hazard, HazardEvent, HazardNotice
from server.syncing.service import register
from tests.integration.hazards.people import (
    CITY_BUREAU,
    FIVE,
    GRID_MEMBER,
    STATION,
    hazard_in,
    send,
    viewer,
)
from tests.integration.helpers import log_in, post_form

pytestmark = pytest.mark.db

ASSIGN = {"assignee_unit": "燃气公司", "measures": "更换软管", "deadline": "2030-01-01"}


async def _department_staff(name: str) -> Viewer:
    row = (
        await Post.select(Post.person.mobile.as_alias("mobile"))
        .where((Post.kind == PostKind.department_staff.value) & (Post.title == name))
        .first()
    )
    return await viewer(row["mobile"])


@pytest.fixture
async def people(demo) -> dict[str, Viewer]:
    register(HazardAdapter(verify_distance_m=100))
    return {
        "grid": await viewer(GRID_MEMBER),
        "station": await viewer(STATION),
        "bureau": await viewer(CITY_BUREAU),
        "housing": await _department_staff("临江市住房和城乡建设局"),
        "traffic": await _department_staff("临江市交通运输局"),
        "county_housing": await _department_staff("江南县住房和城乡建设局"),
        "district_bureau": await viewer(await _mobile(PostKind.bureau_staff, depth=3)),
    }


async def _mobile(kind: PostKind, depth: int) -> str:
    """A demo person holding `kind` at an area of this depth (3: a district, /339900/339901/)."""
    rows = await Post.select(Post.area_path, Post.person.mobile.as_alias("mobile")).where(
        Post.kind == kind.value
    )
    grid = next(p.area_path for p in (await viewer(GRID_MEMBER)).posts)
    return next(
        r["mobile"]
        for r in sorted(rows, key=lambda r: r["mobile"])
        if r["area_path"].count("/") == depth and grid.startswith(r["area_path"])
    )


async def _transferred(people: dict[str, Viewer]) -> tuple[uuid.UUID, uuid.UUID]:
    hazard_id = await hazard_in("reported", people, category="gas.hose")
    over = await departments.departments_over(
        (await service.get(people["station"], hazard_id)).area_path
    )
    housing = departments.responsible(over, "gas.hose")
    assert housing is not None and housing.name == "临江市住房和城乡建设局"
    done = await send(people["station"], "transfer", hazard_id, {"department_id": str(housing.id)})
    assert done.verdict == "applied", done.reason
    return hazard_id, housing.id


async def test_a_transfer_reaches_the_department_and_the_station_keeps_it(people) -> None:
    hazard_id, _ = await _transferred(people)
    station, department = people["station"], people["housing"]
    # the station still sees it, as 已移交, with the department's name
    row = await service.get(station, hazard_id)
    assert row.status is Status.transferred and row.status.label == "已移交"
    assert row.department_name == "临江市住房和城乡建设局"
    listed = await service.ledger(station, Filters(status="transferred"))
    assert hazard_id in {h.id for h in listed.items}
    # the department is told, sees it, and sees nothing else of the area
    told = await HazardNotice.select().where(HazardNotice.person_id == department.person_id)
    assert [(n["hazard_id"], n["kind"]) for n in told] == [(hazard_id, "transferred")]
    assert {h.id for h in (await service.ledger(department, Filters())).items} == {hazard_id}
    jobs = {w.url: w.count for w in await service.waiting_for(department)}
    assert jobs["/hazards?status=transferred"] == 1
    # another department sees nothing of it and cannot act on it
    with pytest.raises(NotFound):
        await service.get(people["traffic"], hazard_id)
    refused = await send(people["traffic"], "accept", hazard_id, {}, base_seq=row.seq)
    assert refused.verdict == "rejected"
    # the department handles it as staff: accept, assign; the history is whole
    for op, fields in (("accept", {}), ("assign", ASSIGN)):
        result = await send(department, op, hazard_id, fields)
        assert result.verdict == "applied", (op, result.reason)
    after = await service.get(station, hazard_id)
    assert after.status is Status.assigned and after.department_name == "临江市住房和城乡建设局"
    kinds = [e.kind for e in await service.timeline(hazard_id)]
    assert kinds == ["report", "transfer", "accept", "assign"]


async def test_the_department_declines_and_the_station_triages_again(people) -> None:
    hazard_id, _ = await _transferred(people)
    station_try = await send(
        people["station"], "decline_transfer", hazard_id, {"transfer_note": "x"}
    )
    assert station_try.verdict == "rejected"
    no_reason = await send(people["housing"], "decline_transfer", hazard_id, {"department_id": ""})
    assert no_reason.verdict == "rejected"
    declined = await send(
        people["housing"],
        "decline_transfer",
        hazard_id,
        {"department_id": "", "transfer_note": "属消防救援部门监管"},
    )
    assert declined.verdict == "applied", declined.reason
    row = await service.get(people["station"], hazard_id)
    assert row.status is Status.reported and row.department_id is None
    assert row.department_name == "" and row.transfer_note == "属消防救援部门监管"
    told = await HazardNotice.select(HazardNotice.kind).where(
        (HazardNotice.person_id == people["station"].person_id)
        & (HazardNotice.hazard_id == hazard_id)
    )
    assert "declined" in {n["kind"] for n in told}
    with pytest.raises(NotFound):  # no longer theirs
        await service.get(people["housing"], hazard_id)


async def test_a_transfer_goes_only_to_a_department_over_the_area(people) -> None:
    hazard_id = await hazard_in("reported", people, category="gas.hose")
    county = await departments.departments_over("/339900/339922/")
    elsewhere = next(d for d in county if d.name == "江南县住房和城乡建设局")
    refused = await send(
        people["station"], "transfer", hazard_id, {"department_id": str(elsewhere.id)}
    )
    assert refused.verdict == "rejected" and "does not cover" in refused.reason
    by_grid = await send(
        people["grid"], "transfer", hazard_id, {"department_id": str(elsewhere.id)}
    )
    assert by_grid.verdict == "rejected"


async def test_the_station_pages_offer_a_transfer_not_an_out_of_area_rejection(
    app: Litestar, people
) -> None:
    hazard_id = await hazard_in("reported", people, category="gas.hose")
    async with AsyncTestClient(app=app) as client:
        await log_in(client, STATION)
        page = (await client.get(f"/hazards/{hazard_id}")).text
        assert 'id="transfer-form"' in page and "临江市住房和城乡建设局 · 主管本行业" in page
        assert 'value="outside"' not in page  # 不属于本辖区 is a transfer now
        housing = departments.responsible(
            await departments.departments_over("/339900/339901/"), "gas"
        )
        made = await post_form(
            client,
            f"/hazards/{hazard_id}/transfer",
            {
                "department_id": str(housing.id),
                "mutation_id": str(uuid.uuid4()),
                "base_seq": str((await service.get(people["station"], hazard_id)).seq),
            },
        )
        assert made.status_code == 303, made.text[-500:]
        ledger = (await client.get("/hazards?status=transferred")).text
        assert "已移交" in ledger and "移交临江市住房和城乡建设局" in ledger


async def _closed_major(people: dict[str, Viewer], **extra) -> uuid.UUID:
    hazard_id = await hazard_in("rectified", people, level="major", **extra)
    done = await send(
        people["station"],
        "verify",
        hazard_id,
        {"photos_after": ["d" * 64], "verify_lat": "30.1", "verify_lng": "120.1"},
    )
    assert done.verdict == "applied", done.reason
    return hazard_id


async def test_a_supervision_notice_is_numbered_and_delisted_by_its_unit_only(
    app: Litestar, people
) -> None:
    first = await hazard_in("accepted", people, level="major")
    second = await hazard_in("accepted", people, level="major")
    for hazard_id in (first, second):
        fields = {
            **FIVE,
            "supervision_issuer": "临江市安委办",
            "supervision_published_on": "2026-01-01",
        }
        done = await send(people["bureau"], "supervise", hazard_id, fields)
        assert done.verdict == "applied", done.reason
    year = service.today_local().year
    numbers = [(await service.get(people["bureau"], h)).supervision_no for h in (first, second)]
    assert numbers == [f"临江市督〔{year}〕1号", f"临江市督〔{year}〕2号"]
    # edited again: the number stays
    again = await send(people["bureau"], "supervise", first, {**FIVE, "supervision_plan": "修订"})
    assert again.verdict == "applied"
    assert (await service.get(people["bureau"], first)).supervision_no == numbers[0]
    async with AsyncTestClient(app=app) as client:
        await log_in(client, CITY_BUREAU)
        notice = (await client.get(f"/hazards/{first}/notice")).text
        assert numbers[0] in notice and "修订" in notice and "停产整改" in notice
        assert "50万元" in notice and "临江市" in notice
        assert (
            await client.get(f"/hazards/{await hazard_in('reported', people)}/notice")
        ).status_code == 404
    async with AsyncTestClient(app=app) as resident:  # no login: what the city publishes
        listed = (await resident.get("/supervision")).text
        # the second was published; the first's edit took its publication date away
        assert numbers[1] in listed and numbers[0] not in listed
    # 销号: not before closure, never by anyone but the supervising unit (the city's bureau)
    early = await send(people["bureau"], "close_supervision", second, {"delisted_on": "2030-01-02"})
    assert early.verdict == "rejected" and "closed" in early.reason
    closed = await _rectify_and_close(people, second)
    for who in ("station", "district_bureau", "grid"):
        refused = await send(
            people[who], "close_supervision", closed, {"delisted_on": "2030-01-02"}
        )
        assert refused.verdict == "rejected", who
    done = await send(people["bureau"], "close_supervision", closed, {"delisted_on": "2030-01-02"})
    assert done.verdict == "applied", done.reason
    row = await Hazard.select().where(Hazard.id == closed).first()
    assert row["delisted_on"] == "2030-01-02" and row["supervised_level"] == ""


async def _rectify_and_close(people: dict[str, Viewer], hazard_id: uuid.UUID) -> uuid.UUID:
    for who, op, fields in (
        ("station", "assign", ASSIGN),
        ("grid", "rectify", {"photos_after": ["c" * 64]}),
        (
            "station",
            "verify",
            {"photos_after": ["d" * 64], "verify_lat": "30.1", "verify_lng": "120.1"},
        ),
    ):
        result = await send(people[who], op, hazard_id, fields)
        assert result.verdict == "applied", (op, result.reason)
    return hazard_id


async def test_a_recheck_falls_due_after_closure_and_not_rectified_reopens(people) -> None:
    hazard_id = await _closed_major(people)
    today = service.today_local()
    row = await service.get(people["station"], hazard_id)
    assert row.recheck_due == today + timedelta(days=RECHECK_DAYS)
    grid = people["grid"]

    async def due(on) -> set[uuid.UUID]:
        where = service.where_of(grid, Filters(recheck=True), on)
        return {r["id"] for r in await Hazard.select(Hazard.id).where(where)}

    assert hazard_id not in await due(today)  # not yet: the task falls due after N days
    assert hazard_id in await due(today + timedelta(days=RECHECK_DAYS))
    no_photo = await send(grid, "recheck", hazard_id, {"recheck_result": "not_fixed"})
    assert no_photo.verdict == "rejected"
    found = await send(
        grid,
        "recheck",
        hazard_id,
        {"recheck_result": "not_fixed", "recheck_note": "软管又老化", "photos_after": ["e" * 64]},
    )
    assert found.verdict == "applied", found.reason
    row = await service.get(people["station"], hazard_id)
    assert row.status is Status.assigned and row.recheck_due is None
    assert row.recheck_result == "not_fixed"
    told = await HazardNotice.select(HazardNotice.kind).where(
        (HazardNotice.person_id == people["station"].person_id)
        & (HazardNotice.hazard_id == hazard_id)
    )
    assert "reopened" in {n["kind"] for n in told}
    # rectified and closed again: a new re-check; this time it holds and the task is done
    await send(grid, "rectify", hazard_id, {"photos_after": ["f" * 64]})
    closed = await send(
        people["station"],
        "verify",
        hazard_id,
        {"photos_after": ["f" * 64], "verify_lat": "30.1", "verify_lng": "120.1"},
    )
    assert closed.verdict == "applied", closed.reason
    assert (await service.get(grid, hazard_id)).recheck_due is not None
    held = await send(
        grid, "recheck", hazard_id, {"recheck_result": "fixed", "photos_after": ["a1" * 32]}
    )
    assert held.verdict == "applied", held.reason
    row = await service.get(grid, hazard_id)
    assert row.status is Status.closed and row.recheck_due is None
    kinds = [
        e["kind"]
        for e in await HazardEvent.select(HazardEvent.kind).where(
            HazardEvent.hazard_id == hazard_id
        )
    ]
    assert kinds.count("recheck") == 2


async def test_no_recheck_for_a_general_hazard(people) -> None:
    hazard_id = await hazard_in("closed", people)
    assert (await service.get(people["grid"], hazard_id)).recheck_due is None
    refused = await send(
        people["grid"],
        "recheck",
        hazard_id,
        {"recheck_result": "fixed", "photos_after": ["e" * 64]},
    )
    assert refused.verdict == "rejected" and "No re-check" in refused.reason
