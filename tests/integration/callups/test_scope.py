"""Call-ups and warnings are scoped to one's own area and below (issue 14, findings 3 and
10): a town's staff can neither watch, close nor answer for the bureau's call-up over two
towns, and another town's warning is not theirs to open."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from server.callups import service, warnings
from server.callups.tables import Callup
from server.callups.targets import DEFAULT_KINDS
from server.directory.kinds import PostKind
from server.directory.service import area_by_code
from server.directory.tables import Post
from server.errors import NotFound
from tests.integration.callups.people import BUREAU, QINGXI, TAOYUAN, answer, targets, viewer
from tests.integration.helpers import log_in

pytestmark = pytest.mark.db


async def _staff_of(town_path: str) -> str:
    row = (
        await Post.select(Post.person.mobile.as_alias("mobile"))
        .where((Post.kind == PostKind.station_staff.value) & (Post.area_path == town_path))
        .first()
    )
    return row["mobile"]


async def _two_town_callup(bureau) -> tuple:
    qingxi, taoyuan = await area_by_code(QINGXI), await area_by_code(TAOYUAN)
    callup_id = await service.create(
        bureau,
        service.Draft(
            title="全市暴雨红色预警叫应",
            level="red",
            area_paths=[qingxi.path, taoyuan.path],
            post_kinds=list(DEFAULT_KINDS),
        ),
    )
    await service.send(bureau, callup_id)
    return callup_id, qingxi, taoyuan


async def test_a_towns_staff_cannot_watch_close_or_answer_a_wider_callup(demo, app) -> None:
    bureau = await viewer(BUREAU)
    callup_id, qingxi, taoyuan = await _two_town_callup(bureau)
    mobile = await _staff_of(qingxi.path)
    town_staff = await viewer(mobile)
    with pytest.raises(NotFound):
        await service.close(town_staff, callup_id)
    assert (await Callup.select(Callup.state).where(Callup.id == callup_id).first())[
        "state"
    ] == "sent"
    outside = next(t for t in await targets(callup_id) if t["area_path"].startswith(taoyuan.path))
    refused = await answer(town_staff, outside["id"], {"answer": "on_post"})
    assert refused.verdict == "rejected"
    stored = await service.target_row(outside["id"])
    assert stored["answer"] == "" and stored["recorded_by"] is None
    async with AsyncTestClient(app) as client:
        assert (await log_in(client, mobile)).status_code == 303
        for url in (
            f"/callups/{callup_id}",
            f"/callups/{callup_id}/report",
            f"/callups/{callup_id}/report.xlsx",
            f"/callups/{callup_id}/report.csv",
            f"/callups/targets/{outside['id']}",
        ):
            page = await client.get(url, follow_redirects=False)
            assert page.status_code == 404, (url, page.status_code)
            assert outside["person_id"] and b"tel:" not in page.content
        listing = await client.get("/callups")
        assert str(callup_id) not in listing.text
    # the bureau, whose area covers both towns, still closes it
    await service.close(bureau, callup_id)


async def test_another_towns_warning_is_not_opened(demo, app) -> None:
    qingxi, taoyuan = await area_by_code(QINGXI), await area_by_code(TAOYUAN)
    bureau = await viewer(BUREAU)
    theirs = await warnings.create_manual(
        bureau,
        warnings.ManualWarning(
            headline="桃源乡山洪灾害橙色预警",
            level="orange",
            hazard_type="flash_flood",
            description="",
            area_paths=[taoyuan.path],
        ),
    )
    town_staff = await viewer(await _staff_of(qingxi.path))
    with pytest.raises(NotFound):
        await warnings.get(town_staff, theirs)
    assert theirs not in [w.id for w in await warnings.recent(town_staff)]
    assert theirs in [w.id for w in await warnings.recent(bureau)]
    own = await viewer(await _staff_of(taoyuan.path))
    assert (await warnings.get(own, theirs)).id == theirs
