from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-24T09:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tip-offs: the default reward rules (一般 up to 500 yuan, 重大 15% of the fine)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)

    async def create():
        # Reference data every deployment starts with; a level already there is left alone.
        from server.tipoffs.rewards import seed_rules

        await seed_rules()

    manager.add_raw(create)
    return manager
