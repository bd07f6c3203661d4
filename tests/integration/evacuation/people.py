"""The demo's evacuation cast: 清溪村's two grid members and keepers, the station of 清溪镇,
a warning over the village, and marks sent as phones send them."""

from __future__ import annotations

import uuid
from typing import Any

from server.auth.service import Viewer
from server.callups import warnings
from server.directory.demo import CITY
from server.directory.kinds import PostKind
from server.directory.service import area_by_code
from server.directory.tables import Person, Post
from server.evacuation import service
from server.evacuation.adapter import EvacRowAdapter
from server.evacuation.tables import EvacRow, Household
from server.syncing import service as syncing
from sync.store import Result
from tests.integration.hazards.people import envelope, viewer

QINGXI_TOWN = "339901002"
QINGXI_VILLAGE = "339901002001"
TAOYUAN_VILLAGE = "339922002001"


async def holder(kind: PostKind, area_code: str) -> Viewer:
    """The demo person holding `kind` for the area with this code."""
    area = await area_by_code(area_code)
    row = (
        await Post.select(Post.person.mobile.as_alias("mobile"))
        .where((Post.kind == kind.value) & (Post.area_path == area.path))
        .first()
    )
    assert row is not None, (kind, area_code)
    return await viewer(row["mobile"])


async def cast() -> dict[str, Viewer]:
    syncing.register(EvacRowAdapter())
    return {
        "station": await holder(PostKind.station_staff, QINGXI_TOWN),
        "grid1": await holder(PostKind.grid_member, f"{QINGXI_VILLAGE}-01"),
        "grid2": await holder(PostKind.grid_member, f"{QINGXI_VILLAGE}-02"),
        "keeper1": await holder(PostKind.household_keeper, f"{QINGXI_VILLAGE}-01"),
        "chief": await holder(PostKind.flood_admin, QINGXI_VILLAGE),
        "other_grid": await holder(PostKind.grid_member, f"{TAOYUAN_VILLAGE}-01"),
        "manager": await holder(PostKind.village_committee, QINGXI_VILLAGE),
        "admin": await holder(PostKind.admin, CITY[0]),
    }


async def red_warning(staff: Viewer, village_code: str = QINGXI_VILLAGE) -> uuid.UUID:
    village = await area_by_code(village_code)
    return await warnings.create_manual(
        staff,
        warnings.ManualWarning(
            hazard_type="flood",
            level="red",
            headline="清溪河洪水红色预警",
            description="清溪河将出现超警戒水位",
            area_paths=[village.path],
        ),
    )


async def started(staff: Viewer, **given: Any) -> uuid.UUID:
    """An evacuation started from a red warning for 清溪村, with every zone it covers."""
    warning_id = await red_warning(staff)
    offer = await service.proposal(staff, warning_id=warning_id)
    return await service.start(
        staff,
        service.Start(
            title=offer.title,
            zone_ids=sorted(offer.chosen),
            warning_id=warning_id,
            **given,
        ),
    )


async def rows(evacuation_id: uuid.UUID) -> list[dict[str, Any]]:
    found = await EvacRow.select().where(EvacRow.evacuation_id == evacuation_id)
    heads = {
        h["id"]: h
        for h in await Household.select().where(
            Household.id.is_in([r["household_id"] for r in found])
        )
    }
    return [{**r, "code": heads[r["household_id"]]["code"]} for r in found]


async def mark(
    who: Viewer, row_id: uuid.UUID, fields: dict[str, Any], *, phone_ms: int | None = None,
    device: int = 7,
) -> Result:  # fmt: skip
    raw = envelope("mark", row_id, fields, entity="evac_row", phone_ms=phone_ms, device=device)
    return await syncing.submit(raw, who)


async def person_id(mobile: str) -> uuid.UUID:
    row = await Person.select(Person.id).where(Person.mobile == mobile).first()
    return row["id"]
