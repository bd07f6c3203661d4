"""The database: engine per settings, serialized write transactions, migrations, health."""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString
from piccolo.table import Table

from server.settings import sqlite_path

log = logging.getLogger("gridwatch.db")
#: what the open write transaction does once it has committed (None: no transaction open)
_after_commit: ContextVar[list[Callable[[], object]] | None] = ContextVar(
    "after_commit", default=None
)


def after_commit(fn: Callable[[], object]) -> None:
    """Run `fn` once the open write transaction has committed, never if it rolls back; at
    once if none is open. Every side effect outside the database (a live notice to pages, a
    task started) goes through here, so nobody hears of a write that did not happen, and a
    write applied again after a rollback is heard of once."""
    pending = _after_commit.get()
    if pending is None:
        _run(fn)
    else:
        pending.append(fn)


def _run(fn: Callable[[], object]) -> None:
    try:
        fn()
    except Exception:  # the write stands: a failed side effect is logged, not raised
        log.exception("after-commit action failed")


class DatabaseUnavailable(Exception):
    """The database cannot be reached or has no schema."""


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite:///"):
        path = sqlite_path(database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A long busy timeout: writers queue behind the process lock, readers never block in WAL.
        return SQLiteEngine(path=str(path), timeout=30)
    return PostgresEngine(config={"dsn": database_url}, log_queries=False)


class Database:
    """One engine plus the rules every write follows on it.

    SQLite: DEFERRED read-then-write transactions fail with "database is locked" under
    concurrency whatever the busy timeout, so every write transaction is IMMEDIATE and
    writers in this process queue on an asyncio.Lock (STACK-NOTES). PostgreSQL: plain
    transactions; `serialize()` takes a transaction-scoped advisory lock where order matters.
    """

    def __init__(self, database_url: str, *, pool: bool = True, pool_size: int = 10) -> None:
        self.url = database_url
        self.pool_size = pool_size
        self.engine = make_engine(database_url)
        self.is_sqlite = isinstance(self.engine, SQLiteEngine)
        self._pool = pool and not self.is_sqlite
        # One lock per event loop: tests and the CLI may drive the same Database from several.
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def _write_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    def in_transaction(self) -> bool:
        """Whether this task has a transaction open (a write joins it)."""
        return self.engine.current_transaction.get() is not None

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Any]:
        """A write transaction; nested calls join the one already open. What was handed to
        `after_commit` inside it runs after the commit."""
        current = self.engine.current_transaction.get()
        if current is not None:
            yield current
            return
        pending: list[Callable[[], object]] = []
        token = _after_commit.set(pending)
        try:
            if isinstance(self.engine, SQLiteEngine):
                async with (
                    self._write_lock(),
                    self.engine.transaction(
                        transaction_type=TransactionType.immediate
                    ) as transaction,
                ):
                    yield transaction
            else:
                async with self.engine.transaction() as transaction:
                    yield transaction
        finally:
            _after_commit.reset(token)
        for fn in pending:  # reached only when the transaction committed
            _run(fn)

    async def serialize(self, name: str) -> None:
        """Inside `write()`: make transactions that pass the same name run one at a time.

        Needed for read-then-append (gapless sequences). SQLite already runs writers singly.
        """
        if not self.is_sqlite:
            await self.engine.run_ddl(f"SELECT pg_advisory_xact_lock(hashtext('{_ident(name)}'))")

    async def start(self) -> None:
        if self.is_sqlite:
            # WAL lets pages be read while a write is under way; the setting persists in the file.
            await self.engine.run_ddl("PRAGMA journal_mode=WAL")
        elif self._pool:
            # connections open as needed up to the pool size (asyncpg's own minimum, 10,
            # refused any smaller DATABASE_POOL_SIZE)
            await self.engine.start_connection_pool(
                min_size=min(2, self.pool_size), max_size=self.pool_size
            )

    async def stop(self) -> None:
        if self._pool and isinstance(self.engine, PostgresEngine):
            await self.engine.close_connection_pool()

    async def ping(self) -> None:
        """Raise DatabaseUnavailable unless the database answers and has been migrated."""
        if self.is_sqlite and not sqlite_path(self.url).exists():
            raise DatabaseUnavailable("database file missing")
        try:
            # This engine, not the tables' binding: an app may ping a database it has not activated.
            table = Migration._meta.tablename
            await self.engine.run_ddl(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 - constant
        except Exception as exc:  # any driver error means "not usable"
            raise DatabaseUnavailable(type(exc).__name__) from exc

    async def migrate(self) -> None:
        """Apply every migration in migrations/ that has not run on this database. On
        PostgreSQL under a session advisory lock: two hosts starting a release at once (two
        `gridwatch migrate`) run them one after the other, and the second finds nothing to do."""
        from piccolo.apps.migrations.commands.forwards import run_forwards

        activate(self)
        async with self._migration_lock():
            result = await run_forwards(app_name="all")
        if not result.success:
            raise RuntimeError(f"migrations failed: {result.message}")

    @asynccontextmanager
    async def _migration_lock(self) -> AsyncIterator[None]:
        if self.is_sqlite:  # one writer at a time already
            yield
            return
        import asyncpg

        # its own connection: the lock is held for the session, the migrations use others
        holder = await asyncpg.connect(self.url)
        try:
            await holder.execute(f"SELECT pg_advisory_lock(hashtext('{MIGRATION_LOCK}'))")
            yield
        finally:
            await holder.close()  # closing the session releases the lock


MIGRATION_LOCK = "gridwatch.migrate"


def _ident(name: str) -> str:
    if not name.replace("_", "").replace(".", "").isalnum():
        raise ValueError(f"bad lock name {name!r}")
    return name


_current: Database | None = None


def activate(database: Database) -> None:
    """Make `database` the process's database: every table and Piccolo's tooling use it."""
    global _current
    from piccolo.conf.apps import Finder

    _current = database
    finder = Finder()
    conf = finder.get_piccolo_conf_module()
    if conf is not None:
        conf.DB = database.engine  # what Piccolo's migration manager looks up
    # The registered app (piccolo_conf.py names server.piccolo_app) imports every domain's
    # tables; looking it up through Piccolo keeps this bottom module from importing them.
    tables = finder.get_table_classes()
    for table in {*tables, Migration, *_all_tables(Table)}:
        table._meta.db = database.engine


def _all_tables(base: type[Table]) -> list[type[Table]]:
    """Every table class defined in the process (tests define their own too)."""
    found = []
    for sub in base.__subclasses__():
        found += [sub, *_all_tables(sub)]
    return found


def current() -> Database:
    if _current is None:
        raise RuntimeError("no database activated: create_app() or activate() first")
    return _current


def as_json(value: Any) -> Any:
    """A JSON column as Python: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def seconds_between(later: Any, earlier: Any) -> QueryString:
    """SQL for the seconds from one timestamp column to another, in each engine's own
    arithmetic (figures and boards aggregate it without bringing rows to Python)."""
    if isinstance(later._meta.table._meta.db, SQLiteEngine):
        template = "((julianday({}) - julianday({})) * 86400.0)"
    else:
        template = "EXTRACT(EPOCH FROM ({} - {}))"
    return QueryString(template, later, earlier)
