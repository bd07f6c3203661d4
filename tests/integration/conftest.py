"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest

from server.auth.service import Viewer
from server.directory.kinds import PostKind
from server.hazards.adapter import HazardAdapter
from server.patrols.adapter import PatrolAdapter
from server.syncing.service import register
from tests.integration.cast import cast_for
from tests.integration.hazards.people import GRID_MEMBER, viewer


@pytest.fixture
async def cast(demo) -> dict[str, Viewer]:
    """A signed-in demo person in every relation to GRID_MEMBER's grid (cast.RELATIONS)."""
    register(HazardAdapter(verify_distance_m=100))
    register(PatrolAdapter())
    grid = await viewer(GRID_MEMBER)
    grid_path = next(p.area_path for p in grid.posts if p.kind is PostKind.grid_member)
    found = await cast_for(grid_path)
    assert found["grid"].person_id == grid.person_id
    return found
