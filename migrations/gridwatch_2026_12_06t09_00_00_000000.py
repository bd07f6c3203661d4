from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "indexes for jobs that stay flat as history grows: call-up targets not yet queued, "
    "open hazards, a person's messages by topic"
)

INDEXES = (
    # the worker looks for these every second; they are few, the table is every call-up's
    "CREATE INDEX IF NOT EXISTS callup_target_to_queue ON callup_target (callup_id) "
    "WHERE queued_at IS NULL AND called_at IS NOT NULL",
    # the deadline pass walks the open hazards in id order, not years of closed ones
    "CREATE INDEX IF NOT EXISTS hazard_open ON hazard (id) "
    "WHERE status IN ('accepted', 'assigned')",
    # a message replacing an earlier one of the same topic looks that one up
    "CREATE INDEX IF NOT EXISTS message_recipient_topic ON message (recipient_id, topic)",
)


async def _index() -> None:
    engine = engine_finder()
    for sql in INDEXES:
        await engine.run_ddl(sql)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)
    manager.add_raw(_index)
    return manager
