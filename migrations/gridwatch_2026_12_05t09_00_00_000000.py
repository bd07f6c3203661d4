from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sync: a phone announces what each new item is, so a lost one is named"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)
    manager.add_column(
        table_class_name="SyncDevice",
        tablename="sync_device",
        column_name="titles",
        db_column_name="titles",
        column_class_name="JSON",
        column_class=JSON,
        params={
            "default": "{}",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
