from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-07T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "risk grades as the national four (1 重大 red .. 4 低 blue): the old letters, A the "
    "highest, become their numbers"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)

    async def renumber():
        await engine_finder().run_ddl(
            "UPDATE place SET risk_grade = CASE risk_grade "
            "WHEN 'A' THEN '1' WHEN 'B' THEN '2' WHEN 'C' THEN '3' WHEN 'D' THEN '4' "
            "ELSE risk_grade END"
        )

    async def back():
        await engine_finder().run_ddl(
            "UPDATE place SET risk_grade = CASE risk_grade "
            "WHEN '1' THEN 'A' WHEN '2' THEN 'B' WHEN '3' THEN 'C' WHEN '4' THEN 'D' "
            "ELSE risk_grade END"
        )

    manager.add_raw(renumber)
    manager.add_raw_backwards(back)
    return manager
