from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-24T00:50:51:122939"
VERSION = "1.38.0"
DESCRIPTION = "prefix indexes for area paths on PostgreSQL"

# PostgreSQL serves LIKE 'prefix%' from a btree only with *_pattern_ops, whatever the
# database's collation. SQLite needs nothing: GLOB 'prefix*' uses the plain indexes.
INDEXES = (("area", "path"), ("place", "area_path"), ("post", "area_path"))


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            for table, column in INDEXES:
                await engine.run_ddl(
                    f"CREATE INDEX IF NOT EXISTS {table}_{column}_prefix "
                    f"ON {table} ({column} varchar_pattern_ops)"
                )

    async def drop():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            for table, column in INDEXES:
                await engine.run_ddl(f"DROP INDEX IF EXISTS {table}_{column}_prefix")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)

    return manager
