"""Patrol plans through the pages: the station plans a grid's patrol from its places, the
grid member sees it, someone elsewhere does not; a bad form keeps what was typed."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.directory.kinds import PostKind
from tests.integration.hazards.people import GRID_MEMBER, STATION, other_station, viewer
from tests.integration.helpers import log_in, post_form

pytestmark = pytest.mark.db


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
        assert page.count('data-covered="no"') == 3 and "40" in page
    async with AsyncTestClient(app=app) as phone:
        assert (await log_in(phone, GRID_MEMBER)).status_code == 303
        assert "每日巡查" in (await phone.get("/patrols/plans")).text
        assert (await phone.get(plan_url)).status_code == 200
    async with AsyncTestClient(app=app) as elsewhere:
        assert (await log_in(elsewhere, await other_station())).status_code == 303
        assert (await elsewhere.get(plan_url)).status_code == 404
        assert "每日巡查" not in (await elsewhere.get("/patrols/plans")).text
