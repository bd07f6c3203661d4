"""The database rules every domain relies on: concurrent writes, migrations, the audit trail."""

from __future__ import annotations

import asyncio

import pytest

from server.audit.service import events, record_event
from server.db import Database

pytestmark = pytest.mark.db


async def test_50_concurrent_write_transactions(database: Database) -> None:
    """Each write reads the last seq and appends the next: the read-then-write that fails
    with "database is locked" on SQLite unless writes are serialized."""
    seqs = await asyncio.gather(*(record_event("test.write", detail={"n": n}) for n in range(50)))
    assert sorted(seqs) == list(range(1, 51))
    stored = await events(action="test.write", limit=100)
    assert sorted(e.seq for e in stored) == list(range(1, 51))
    assert sorted(e.detail["n"] for e in stored) == list(range(50))


async def test_nested_write_joins_outer_transaction(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.write():
            await record_event("test.inner")
            raise RuntimeError("roll back")
    assert await events(action="test.inner") == []


async def test_migrate_is_idempotent(database: Database) -> None:
    await database.migrate()
    await database.migrate()
    await database.ping()
