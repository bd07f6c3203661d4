from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "callups: a partial index on targets called but not queued (the worker's send)"


async def _index() -> None:
    # the worker looks for these every second; they are few, the table is every call-up's
    await engine_finder().run_ddl(
        "CREATE INDEX IF NOT EXISTS callup_target_to_queue ON callup_target (callup_id) "
        "WHERE queued_at IS NULL AND called_at IS NOT NULL"
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)
    manager.add_raw(_index)
    return manager
