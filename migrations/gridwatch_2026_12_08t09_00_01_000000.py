from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-08T09:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "the shelters an evacuation's households went to, read from an index"

# The live board lists the shelters an evacuation's people were sent to or checked into: a
# DISTINCT over (evacuation_id, shelter) pairs from these, not a visit to every roster row.
INDEXES = (("shelter", "shelter_id"), ("checkin_shelter", "checkin_shelter_id"))


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for name, column in INDEXES:
            await engine.run_ddl(
                f"CREATE INDEX IF NOT EXISTS evac_row_evacuation_{name} "
                f"ON evac_row (evacuation_id, {column})"
            )

    async def drop():
        engine = engine_finder()
        for name, _column in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS evac_row_evacuation_{name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
