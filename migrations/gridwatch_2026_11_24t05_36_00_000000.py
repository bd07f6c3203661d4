from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-24T05:36:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "call-ups: one target per person per call-up (also how hooks find a person's target), "
    "partial indexes for the board's list of the unconfirmed and a person's waiting call-ups"
)

INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS callup_target_callup_person "
    "ON callup_target (callup_id, person_id)",
    "CREATE INDEX IF NOT EXISTS callup_target_silent "
    "ON callup_target (callup_id, rounds DESC, area_path) WHERE confirmed_at IS NULL",
    # a person's call-ups still waiting for them: the home page, text replies
    "CREATE INDEX IF NOT EXISTS callup_target_waiting "
    "ON callup_target (person_id) WHERE confirmed_at IS NULL",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for statement in INDEXES:
            await engine.run_ddl(statement)

    async def drop():
        engine = engine_finder()
        await engine.run_ddl("DROP INDEX IF EXISTS callup_target_waiting")
        await engine.run_ddl("DROP INDEX IF EXISTS callup_target_silent")
        await engine.run_ddl("DROP INDEX IF EXISTS callup_target_callup_person")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
