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


UPGRADE = """
import asyncio, sys
from piccolo.apps.migrations.commands.forwards import run_forwards
from server.db import Database, activate

async def main(url, upto):
    db = Database(url, pool=False)
    activate(db)
    if upto == "all":
        await db.migrate()
        return
    result = await run_forwards(app_name="gridwatch", migration_id=upto)
    assert result.success, result.message
    await db.engine.run_ddl(
        "INSERT INTO place (id, code, name, kind, grid, area_path, qr_token, risk_grade)"
        " VALUES ('00000000-0000-4000-8000-000000000001', 'P1', 'x', 'shop', NULL, '/1/',"
        " 't1', 'A')"
    )
    await db.engine.run_ddl(
        "INSERT INTO tip_off (id, number, code, category, source, received_at, state)"
        " VALUES ('00000000-0000-4000-8000-000000000002', 'JB20261101-0001', 'C1', 'fire',"
        " 'open311', '2026-11-01 08:00:00+00:00', 'received')"
    )

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def test_a_database_with_rows_upgrades(tmp_path, engine_name: str) -> None:
    """A deployment's database, with places and tip-offs, taken from the release before issue
    18 through its migrations: SQLite cannot add a column with a non-constant default to a
    table with rows (a fresh database never shows it), and the old letters become grades."""
    if engine_name != "sqlite":
        pytest.skip("PostgreSQL adds such columns; the SQLite file is the case")
    import os
    import sqlite3
    import subprocess
    import sys

    path = tmp_path / "old.sqlite3"
    env = {**os.environ, "SECRET_KEY": "x" * 32}
    for upto in ("2026-12-06T12:00:00:000000", "all"):
        done = subprocess.run(
            [sys.executable, "-c", UPGRADE, f"sqlite:///{path}", upto],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-1500:]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT risk_grade FROM place").fetchall() == [("1",)]
        [(channel, counted, received)] = conn.execute(
            "SELECT channel, counted_from, received_at FROM tip_off"
        ).fetchall()
    assert channel == "open311" and counted == received
