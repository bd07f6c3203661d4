from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T11:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "callups: targets called before queued_at existed count as queued"


async def _backfill() -> None:
    # they were sent in full, or by escalation since: not to be sent again
    await engine_finder().run_ddl(
        "UPDATE callup_target SET queued_at = called_at WHERE called_at IS NOT NULL"
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)
    manager.add_raw(_backfill)
    return manager
