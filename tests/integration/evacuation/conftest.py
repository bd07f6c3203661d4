"""The demo's evacuation plans (zones, households, residents, shelters) live with the
directory across tests (tests/conftest.py `demo`): tests here that import plans, edit a
shelter or open one by starting an evacuation put them back as they were."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server import db
from server.db import Database
from server.evacuation.tables import DangerZone, Household, Resident, Shelter
from sync.batch import insert_rows

PLANS = (DangerZone, Household, Resident, Shelter)


@pytest.fixture
async def plans_kept(demo: Database) -> AsyncIterator[None]:
    kept = {table: await table.select() for table in PLANS}
    yield
    async with db.current().write():
        for table, rows in kept.items():
            await table.delete(force=True)
            for at in range(0, len(rows), 200):
                await insert_rows(table, rows[at : at + 200])
