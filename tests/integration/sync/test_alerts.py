"""A phone that comes back wiped: its supervisor sees what never arrived, by the phone's
own numbers, on the conflicts page; people outside the supervisor's scope are not shown."""

from __future__ import annotations

import uuid

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.integration.hazards.people import (
    GRID_MEMBER,
    STATION,
    envelope,
    other_station,
    report_fields,
    viewer,
)
from tests.integration.helpers import log_in

pytestmark = pytest.mark.db


def alerts_of(page: str) -> str:
    """The device-loss section of the conflicts page ("" when there is none): the numbers
    are looked for there, not in the whole page (a random id may hold "2-4")."""
    if 'id="device-alerts"' not in page:
        return ""
    return page.split('id="device-alerts"', 1)[1].split("</section>", 1)[0]


async def test_device_loss_is_shown_to_the_supervisor(app: Litestar, demo) -> None:
    grid = await viewer(GRID_MEMBER)
    device = uuid.uuid4()
    async with AsyncTestClient(app=app) as phone, AsyncTestClient(app=app) as desk:
        assert (await log_in(phone, GRID_MEMBER)).status_code == 303
        # each item is announced when made, with what it is (the kind and the person's words)
        items = [
            {"seq": 2, "kind": "hazard.report", "summary": "堤脚渗水点"},
            {"seq": 3, "kind": "hazard.rectify", "summary": "已清理杂物"},
            {"seq": 9, "kind": "hazard.report", "summary": "beyond what was announced"},
        ]
        announce = {"device_id": str(device), "epoch": 1, "highest_seq": 4, "items": items}
        assert (await phone.post("/sync/announce", json=announce)).status_code == 200
        first = envelope("report", uuid.uuid4(), report_fields(grid))
        first.update(device_id=str(device), epoch=1, device_seq=1)
        sent = await phone.post("/sync/mutations", json={"mutations": [first]})
        assert sent.json()["results"][0]["verdict"] == "applied"
        # The phone is wiped: a new epoch, 2..4 of the old one never arrived.
        wiped = {"device_id": str(device), "epoch": 2, "highest_seq": 0}
        assert (await phone.post("/sync/announce", json=wiped)).status_code == 200

        assert (await log_in(desk, STATION)).status_code == 303
        page = (await desk.get("/sync/conflicts")).text
        assert "手机数据丢失" in page and grid.name in alerts_of(page) and "2-4" in alerts_of(page)
        head, body = page.split("</head>", 1)
        assert "device-alerts" not in head and 'id="device-alerts"' in body
        # named by what they were, not only by their numbers
        assert "隐患 · 上报：堤脚渗水点" in alerts_of(page), alerts_of(page)
        assert "已清理杂物" in alerts_of(page) and "beyond" not in page
        own = (await phone.get("/sync/conflicts")).text
        assert "2-4" in alerts_of(own)  # the person sees it too
        home = (await phone.get("/")).text  # and on their home, to enter them again
        assert 'id="lost-items"' in home and "堤脚渗水点" in home and "请重新录入" in home
    async with AsyncTestClient(app=app) as elsewhere:
        assert (await log_in(elsewhere, await other_station())).status_code == 303
        assert alerts_of((await elsewhere.get("/sync/conflicts")).text) == ""
