from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-07T11:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "tip-offs so far came by the web form or a partner system, their time limits counted "
    "from their receipt (a migration of its own: Piccolo runs raw steps before new columns)"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)

    async def backfill():
        await engine_finder().run_ddl(
            "UPDATE tip_off SET channel = source, counted_from = received_at"
        )

    manager.add_raw(backfill)
    return manager
