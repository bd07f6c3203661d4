"""Where a hazard ended up, for someone outside who follows it: merges followed to the end,
several chains at once, a chain whose start is also asked for, and a cycle that must end."""

from __future__ import annotations

import uuid

import pytest

from server.hazards.service import outcomes
from server.hazards.tables import Hazard

pytestmark = pytest.mark.db


async def hazard(code: str, status: str, merged_into: uuid.UUID | None = None) -> uuid.UUID:
    hazard_id = uuid.uuid4()
    await Hazard.insert(
        Hazard(
            id=hazard_id,
            code=code,
            category="fire.ebike",
            status=status,
            merged_into=merged_into,
            area_path="/x/",
        )
    )
    return hazard_id


async def test_merges_are_followed(demo) -> None:
    c = await hazard("YH-C", "closed")
    b = await hazard("YH-B", "merged", c)
    a = await hazard("YH-A", "merged", b)
    d = await hazard("YH-D", "assigned")
    found = await outcomes([a, b, d, None, uuid.uuid4()])
    assert {k: v.code for k, v in found.items()} == {a: "YH-C", b: "YH-C", d: "YH-D"}
    assert found[a].status.value == "closed"
    loop_one = uuid.uuid4()
    loop_two = await hazard("YH-L2", "merged", loop_one)
    await Hazard.insert(
        Hazard(
            id=loop_one,
            code="YH-L1",
            category="x",
            status="merged",
            merged_into=loop_two,
            area_path="/x/",
        )
    )
    assert loop_one not in await outcomes([loop_one])  # a cycle ends without an outcome
