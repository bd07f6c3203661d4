"""Tip-offs from every channel (issue 18): staff enter one taken on the 12350 hotline, it
counts in the figures by channel and goes overdue past its time limit; the reporter's
未解决 reopens a resolved tip-off, and their answer counts in the 满意率."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server import localtime
from server.hazards.tables import Hazard
from server.notify.tables import Message
from server.tipoffs import channels
from server.tipoffs.handling import settle
from server.tipoffs.ledger import figures
from server.tipoffs.tables import TipOff, TipOffEvent
from tests.integration.hazards.people import STATION, viewer
from tests.integration.helpers import log_in, post_form
from tests.integration.tipoffs.test_flow import send, station_grid

pytestmark = pytest.mark.db

DUE = (2, 30)


def _local(moment: datetime) -> str:
    return moment.astimezone(localtime.ZONE).strftime("%Y-%m-%dT%H:%M")


async def test_a_12350_call_entered_by_staff_counts_by_channel_and_goes_overdue(
    app: Litestar, demo
) -> None:
    grid_path, lat, lng = await station_grid()
    now = datetime.now(UTC)
    call = {
        "channel": "12350",
        "received_at": _local(now - timedelta(days=3)),
        "category": "gas.hose",
        "description": "来电反映饭店燃气软管老化开裂",
        "address": "望江路 18 号",
        "area_path": grid_path,
        "name": "张先生",
        "mobile": "0571-8800 1234",  # a fixed line: callers have them
    }
    async with AsyncTestClient(app=app) as station:
        assert (await log_in(station, STATION)).status_code == 303
        form = (await station.get("/tipoffs/intake")).text
        assert "12350" in form and 'type="datetime-local"' in form
        future = await post_form(
            station, "/tipoffs/intake", {**call, "received_at": _local(now + timedelta(days=2))}
        )
        assert future.status_code == 422 and "90" in future.text and "饭店燃气" in future.text
        made = await post_form(station, "/tipoffs/intake", call)
        assert made.status_code == 303, re.findall(r"error-box.*?</p>", made.text, re.S)
        page = (await station.get(made.headers["location"])).text
        assert "12350安全生产举报热线" in page and 'id="tell-the-caller"' in page
        assert "受理超期" in page
        listed = (await station.get("/tipoffs?overdue=1")).text
        row = await TipOff.select().where(TipOff.channel == "12350").first()
        assert row["number"] in listed and "受理超期" in listed
        assert row["source"] == "staff" and row["mobile"] == "057188001234"
        assert row["entered_by"] == (await viewer(STATION)).person_id
        home = (await station.get("/")).text
        assert "举报超过办理时限" in home
        # a resident's web tip-off the same month, within its limits
        async with AsyncTestClient(app=app) as resident:
            fields = {
                "category": "fire.ebike",
                "description": "楼道飞线充电",
                "lat": str(lat),
                "lng": str(lng),
            }
            assert (await send(resident, fields, [])).status_code == 303
        shown = (await station.get("/tipoffs/figures")).text
        assert (
            'data-channel="12350安全生产举报热线"' in shown and 'data-channel="网页表单"' in shown
        )

    async def by_channel(moment: datetime) -> dict[str, list[int]]:
        """The figures by channel of the month `moment` falls in (the call came in three
        days ago: early in a month, that is the month before the web tip-off's)."""
        month = localtime.today(moment).replace(day=1)
        numbers = await figures(await viewer(STATION), month, DUE)
        return {label: rest for label, *rest in numbers.by_channel}

    # received, accepted, resolved, past a limit
    assert (await by_channel(now - timedelta(days=3)))["12350安全生产举报热线"] == [1, 0, 0, 1]
    assert (await by_channel(now))["网页表单"] == [1, 0, 0, 0]
    # within its limit the same call would not be overdue; accepted, the 受理 limit is met
    fresh = {**row, "counted_from": now - timedelta(days=1)}
    assert channels.overdue(fresh, DUE, now) == ""
    assert channels.overdue({**row, "state": "accepted"}, DUE, now) == ""
    assert channels.overdue({**row, "state": "accepted"}, DUE, now + timedelta(days=30)) != ""


async def test_staff_enter_only_in_their_grids(app: Litestar, demo) -> None:
    from tests.integration.hazards.people import other_station

    grid_path, _, _ = await station_grid()
    async with AsyncTestClient(app=app) as elsewhere:
        assert (await log_in(elsewhere, await other_station())).status_code == 303
        refused = await post_form(
            elsewhere,
            "/tipoffs/intake",
            {
                "channel": "12345",
                "received_at": _local(datetime.now(UTC)),
                "category": "gas.hose",
                "description": "热线转办：燃气泄漏",
                "address": "某路",
                "area_path": grid_path,
            },
        )
        assert refused.status_code == 422 and "请选择您辖区内的网格" in refused.text
    assert await TipOff.count().where(TipOff.channel == "12345") == 0


async def _resolved(app: Litestar) -> tuple[str, dict]:
    """A web tip-off accepted into a hazard, replied to, its hazard closed: resolved."""
    grid_path, lat, lng = await station_grid()
    async with AsyncTestClient(app=app) as resident:
        fields = {
            "category": "fire.ebike",
            "description": "楼道里电动车充电",
            "lat": str(lat),
            "lng": str(lng),
        }
        sent = await send(resident, fields, [])
        code = re.fullmatch(r"/t/([0-9A-Z-]+)\?new=1", sent.headers["location"]).group(1)
    row = await TipOff.select().where(TipOff.code == code).first()
    async with AsyncTestClient(app=app) as station:
        await log_in(station, STATION)
        accepted = await post_form(
            station, f"/tipoffs/{row['id']}/accept", {"area_path": grid_path, "level": "general"}
        )
        assert accepted.status_code == 303
        await post_form(station, f"/tipoffs/{row['id']}/reply", {"reply": "已清理飞线。"})
    row = await TipOff.select().where(TipOff.id == row["id"]).first()
    await Hazard.update({Hazard.status: "closed"}).where(Hazard.id == row["hazard_id"])
    assert await settle([row["id"]]) == 1
    return code, row


async def test_the_reporters_unsolved_reopens_the_tipoff(app: Litestar, demo) -> None:
    code, row = await _resolved(app)
    async with AsyncTestClient(app=app) as resident:
        page = (await resident.get(f"/t/{code}")).text
        assert 'id="tipoff-feedback"' in page and "没有解决" in page
        bare = await post_form(resident, f"/t/{code}/feedback", {"verdict": "unsolved"})
        assert bare.status_code == 422 and "2 到 500" in bare.text
        said = await post_form(
            resident, f"/t/{code}/feedback", {"verdict": "unsolved", "words": "电线又拉出来了"}
        )
        assert said.status_code == 303 and said.headers["location"] == f"/t/{code}"
        page = (await resident.get(f"/t/{code}")).text
        assert "已收到" in page and 'id="tipoff-feedback"' not in page
    after = await TipOff.select().where(TipOff.id == row["id"]).first()
    assert after["state"] == "received" and after["reply"] == "" and after["reopened"] == 1
    assert after["resolved_at"] is None and after["counted_from"] > row["received_at"]
    kinds = [
        e["kind"] for e in await TipOffEvent.select().where(TipOffEvent.tipoff_id == row["id"])
    ]
    assert kinds[-1] == "reopened"
    told = await Message.count().where(Message.kind == "tipoff.reopened")
    assert told >= 1  # the station over the grid
    # back in the station's queue; it cannot be resolved again without a new reply
    assert await settle([row["id"]]) == 0
    async with AsyncTestClient(app=app) as station:
        await log_in(station, STATION)
        queue = (await station.get("/tipoffs?state=received")).text
        assert row["number"] in queue
        detail = (await station.get(f"/tipoffs/{row['id']}")).text
        assert "电线又拉出来了" in detail and "举报人反映未解决" in detail


async def test_the_reporters_answer_counts_in_the_satisfaction_rate(app: Litestar, demo) -> None:
    code, row = await _resolved(app)
    async with AsyncTestClient(app=app) as resident:
        answered = await post_form(resident, f"/t/{code}/feedback", {"verdict": "satisfied"})
        assert answered.status_code == 303
        page = (await resident.get(f"/t/{code}")).text
        assert "满意" in page and 'name="verdict"' not in page
        again = await post_form(resident, f"/t/{code}/feedback", {"verdict": "unsatisfied"})
        assert again.status_code == 422  # the first answer stands
    assert (await TipOff.select().where(TipOff.id == row["id"]).first())[
        "satisfaction"
    ] == "satisfied"
    numbers = await figures(await viewer(STATION), localtime.today().replace(day=1), DUE)
    assert numbers.satisfied == 1 and numbers.satisfaction_rate == 1.0


async def test_a_tipoff_outside_the_remit_is_transferred_not_closed(app: Litestar, demo) -> None:
    from server.directory import departments
    from server.hazards.tables import HazardNotice

    grid_path, lat, lng = await station_grid()
    async with AsyncTestClient(app=app) as resident:
        fields = {
            "category": "gas.leak",
            "description": "饭店后厨燃气味道很重",
            "lat": str(lat),
            "lng": str(lng),
        }
        sent = await send(resident, fields, [])
        code = re.fullmatch(r"/t/([0-9A-Z-]+)\?new=1", sent.headers["location"]).group(1)
    row = await TipOff.select().where(TipOff.code == code).first()
    housing = departments.responsible(await departments.departments_over(grid_path), "gas")
    async with AsyncTestClient(app=app) as station:
        await log_in(station, STATION)
        page = (await station.get(f"/tipoffs/{row['id']}")).text
        assert housing.name in page and 'name="department_id"' in page
        accepted = await post_form(
            station,
            f"/tipoffs/{row['id']}/accept",
            {"area_path": grid_path, "level": "general", "department_id": str(housing.id)},
        )
        assert accepted.status_code == 303, re.findall(r"error-box.*?</p>", accepted.text, re.S)
    row = await TipOff.select().where(TipOff.id == row["id"]).first()
    hazard = await Hazard.select().where(Hazard.id == row["hazard_id"]).first()
    assert row["state"] == "accepted"  # passed on, not closed
    assert hazard["status"] == "transferred" and hazard["department_id"] == housing.id
    staff = await departments.staff_of(housing.id)
    told = await HazardNotice.select().where(HazardNotice.hazard_id == hazard["id"])
    assert {n["person_id"] for n in told if n["kind"] == "transferred"} == set(staff)
    async with AsyncTestClient(app=app) as resident:
        page = (await resident.get(f"/t/{code}")).text
        assert "已受理" in page and "已移交" in page
