"""举报奖励 through the pages: the first report of a hazard is eligible and a second joined to
it is not; an amount within the rule is proposed, approved by someone else, paid; the reporter
sees it by code; the ledger lists it with the contact; the month's figures count it."""

from __future__ import annotations

import asyncio
import io
import re

import openpyxl
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.directory.kinds import PostKind
from server.hazards.tables import Hazard
from server.tipoffs.tables import Reward, TipOff
from tests.integration.hazards.people import STATION
from tests.integration.helpers import demo_mobile, log_in, post_form
from tests.integration.tipoffs.test_flow import send, station_grid

pytestmark = pytest.mark.db


async def a_tipoff(app: Litestar, lat: float, lng: float, mobile: str) -> str:
    async with AsyncTestClient(app=app) as resident:
        fields = {"category": "fire.ebike", "description": "楼道电动车飞线充电", "mobile": mobile}
        sent = await send(resident, {**fields, "lat": str(lat), "lng": str(lng)}, [])
        assert sent.status_code == 303
        return re.search(r"/t/([0-9A-Z-]+)", sent.headers["location"]).group(1)


async def test_the_first_reporter_is_rewarded(app: Litestar, demo) -> None:
    grid_path, lat, lng = await station_grid()
    first, second = (
        await a_tipoff(app, lat, lng, "13900001111"),
        await a_tipoff(app, lat, lng, "13900002222"),
    )
    one = await TipOff.select().where(TipOff.code == first).first()
    two = await TipOff.select().where(TipOff.code == second).first()
    async with AsyncTestClient(app=app) as station:
        assert (await log_in(station, STATION)).status_code == 303
        made = await post_form(
            station, f"/tipoffs/{one['id']}/accept", {"area_path": grid_path, "level": "general"}
        )
        assert made.status_code == 303
        hazard = await Hazard.select().where(Hazard.source == "tipoff").first()
        joined = await post_form(
            station, f"/tipoffs/{two['id']}/accept", {"hazard_code": hazard["code"]}
        )
        assert joined.status_code == 303
        refused = await post_form(
            station, f"/tipoffs/{one['id']}/reward", {"action": "propose", "amount_yuan": "300"}
        )
        assert refused.status_code == 403  # the bureau decides rewards
        assert (await station.get("/tipoffs/rewards.xlsx")).status_code == 403
        figures = (await station.get("/tipoffs/figures")).text
        assert re.search(r'data-figure="accepted">2<', figures)
    rewards = {r["tipoff_id"]: r for r in await Reward.select()}
    assert rewards[one["id"]]["state"] == "eligible"
    assert rewards[two["id"]]["state"] == "declined"  # not the first report

    bureau, admin = await demo_mobile(PostKind.bureau_staff), await demo_mobile(PostKind.admin)
    async with AsyncTestClient(app=app) as desk:
        assert (await log_in(desk, bureau)).status_code == 303
        url = f"/tipoffs/{one['id']}/reward"
        too_much = await post_form(desk, url, {"action": "propose", "amount_yuan": "800"})
        assert too_much.status_code == 422 and "500" in too_much.text  # 一般: up to 500
        assert (
            await post_form(desk, url, {"action": "propose", "amount_yuan": "300"})
        ).status_code == 303
        own = await post_form(desk, url, {"action": "approve"})
        assert own.status_code == 422  # the proposer does not approve
    async with AsyncTestClient(app=app) as boss:
        assert (await log_in(boss, admin)).status_code == 303
        assert (await post_form(boss, url, {"action": "approve"})).status_code == 303
        assert (await post_form(boss, url, {"action": "pay"})).status_code == 303
        book = openpyxl.load_workbook(io.BytesIO((await boss.get("/tipoffs/rewards.xlsx")).content))
        lines = list(book.active.iter_rows(values_only=True))
        paid = next(line for line in lines[1:] if line[0] == one["number"])
        assert paid[5] == 300 and paid[10] == "13900001111"  # the contact, for paying
    async with AsyncTestClient(app=app) as resident:
        page = (await resident.get(f"/t/{first}")).text
        assert "奖励已发放" in page and "300 元" in page
        other = (await resident.get(f"/t/{second}")).text
        assert "不予奖励" in other and "非首位举报" in other


async def test_the_bureau_sets_rules_and_the_block_list(app: Litestar, demo) -> None:
    from server.tipoffs.tables import BlockEntry, RewardRule

    bureau = await demo_mobile(PostKind.bureau_staff)
    async with AsyncTestClient(app=app) as desk:
        assert (await log_in(desk, bureau)).status_code == 303
        page = (await desk.get("/tipoffs/settings")).text
        assert 'id="rule-general"' in page and 'id="rule-major"' in page
        rule = {"level": "general", "kind": "fixed", "min_yuan": "0", "max_yuan": "800"}
        saved = await post_form(desk, "/tipoffs/settings/rules", {**rule, "share_percent": "0"})
        assert saved.status_code == 303
        wrong = await post_form(
            desk, "/tipoffs/settings/rules", {**rule, "min_yuan": "900", "share_percent": "0"}
        )
        assert wrong.status_code == 422 and "下限不高于上限" in wrong.text
        blocked = await post_form(
            desk, "/tipoffs/settings/blocks", {"kind": "ip", "value": "10.0.0.9", "reason": "刷单"}
        )
        assert blocked.status_code == 303
        page = (await desk.get("/tipoffs/settings")).text
        assert "10.0.0.9" not in page and "仅保存其加密摘要" in page
        entry = await BlockEntry.select().first()
        removed = await post_form(desk, f"/tipoffs/settings/blocks/{entry['id']}/remove", {})
        assert removed.status_code == 303 and await BlockEntry.count() == 0
    general = await RewardRule.select().where(RewardRule.level == "general").first()
    assert general["max_yuan"] == 800
    async with AsyncTestClient(app=app) as station:
        assert (await log_in(station, STATION)).status_code == 303
        assert (await station.get("/tipoffs/settings")).status_code == 403


async def test_rewards_are_scoped_to_ones_area(app: Litestar, demo) -> None:
    """Issue 14, finding 6: a district's bureau staff neither read another county's reporter
    in rewards.xlsx nor propose an amount on that tip-off."""
    from server.directory.tables import Post

    grid_path, lat, lng = await station_grid()
    code = await a_tipoff(app, lat, lng, "13900003333")
    row = await TipOff.select().where(TipOff.code == code).first()
    async with AsyncTestClient(app=app) as station:
        assert (await log_in(station, STATION)).status_code == 303
        accept = {"area_path": grid_path, "level": "general"}
        assert (await post_form(station, f"/tipoffs/{row['id']}/accept", accept)).status_code == 303
    posts = await Post.select(Post.area_path, Post.person.mobile.as_alias("mobile")).where(
        Post.kind == PostKind.bureau_staff.value
    )
    county = "/".join(grid_path.split("/")[:3]) + "/"
    other = next(
        p["mobile"]
        for p in posts
        if p["area_path"].count("/") == 3 and not grid_path.startswith(p["area_path"])
    )
    own = next(p["mobile"] for p in posts if p["area_path"] == county)
    async with AsyncTestClient(app=app) as desk:
        assert (await log_in(desk, other)).status_code == 303
        book = openpyxl.load_workbook(io.BytesIO((await desk.get("/tipoffs/rewards.xlsx")).content))
        cells = [c for line in book.active.iter_rows(values_only=True) for c in line]
        assert "13900003333" not in cells and row["number"] not in cells
        url = f"/tipoffs/{row['id']}/reward"
        proposed = await post_form(desk, url, {"action": "propose", "amount_yuan": "300"})
        assert proposed.status_code == 404
    assert (await Reward.select().where(Reward.tipoff_id == row["id"]).first())[
        "amount_yuan"
    ] is None
    async with AsyncTestClient(app=app) as desk:  # the county's own bureau does both
        assert (await log_in(desk, own)).status_code == 303
        book = openpyxl.load_workbook(io.BytesIO((await desk.get("/tipoffs/rewards.xlsx")).content))
        cells = [c for line in book.active.iter_rows(values_only=True) for c in line]
        assert "13900003333" in cells
        url = f"/tipoffs/{row['id']}/reward"
        proposed = await post_form(desk, url, {"action": "propose", "amount_yuan": "300"})
        assert proposed.status_code == 303


async def test_a_double_accept_makes_one_hazard(app: Litestar, demo) -> None:
    """Two accepts of one tip-off at once (a double tap, two staff): one hazard, one reward,
    and both requests land on the tip-off's page; a third, later, too."""
    grid_path, lat, lng = await station_grid()
    tipoff = await TipOff.select().where(
        TipOff.code == await a_tipoff(app, lat, lng, "13900004444")
    )
    tipoff_id = tipoff[0]["id"]
    form = {"area_path": grid_path, "level": "general"}
    async with AsyncTestClient(app=app) as one, AsyncTestClient(app=app) as two:
        for client in (one, two):
            assert (await log_in(client, STATION)).status_code == 303
        url = f"/tipoffs/{tipoff_id}/accept"
        answers = await asyncio.gather(post_form(one, url, form), post_form(two, url, form))
        answers.append(await post_form(one, url, form))
    assert [a.status_code for a in answers] == [303, 303, 303]
    assert {a.headers["location"] for a in answers} == {f"/tipoffs/{tipoff_id}"}
    hazards = await Hazard.select(Hazard.id).where(Hazard.source == "tipoff")
    assert len(hazards) == 1
    assert await Reward.count().where(Reward.tipoff_id == tipoff_id) == 1
    accepted = await TipOff.select().where(TipOff.id == tipoff_id).first()
    assert (accepted["state"], str(accepted["hazard_id"])) == ("accepted", str(hazards[0]["id"]))
