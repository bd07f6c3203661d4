from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-24T03:11:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hazards: prefix index for area paths on PostgreSQL; the seeded category tree"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl(
                "CREATE INDEX IF NOT EXISTS hazard_area_path_prefix "
                "ON hazard (area_path varchar_pattern_ops)"
            )
        # Reference data every deployment needs: the categories field workers know.
        # Adding the missing ones only: staff may have retired or renamed some since.
        from server.hazards.service import seed_categories

        await seed_categories()

    async def drop():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl("DROP INDEX IF EXISTS hazard_area_path_prefix")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)

    return manager
