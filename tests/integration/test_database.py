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


async def test_two_releases_migrate_an_empty_database_at_once(engine_name: str) -> None:
    """Two hosts run `gridwatch migrate` at the same moment on an empty PostgreSQL database:
    both succeed (one waits for the other's advisory lock) instead of one failing with
    DuplicateTableError."""
    if engine_name != "postgres":
        pytest.skip("SQLite runs one writer at a time anyway")
    import os
    import sys
    import uuid

    import asyncpg

    base = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    name = f"gw_migrate_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(base)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = base.rsplit("/", 1)[0] + f"/{name}"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "x" * 32}
        runs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "server.cli",
                "migrate",
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            for _ in range(2)
        ]
        outputs = await asyncio.gather(*(r.communicate() for r in runs))
        for run, (out, _) in zip(runs, outputs, strict=True):
            assert run.returncode == 0, out.decode()[-2000:]
        fresh = Database(url, pool=False)
        await fresh.ping()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
