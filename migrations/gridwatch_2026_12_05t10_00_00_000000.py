from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import UUID, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ops: worker heartbeats, for /readyz"

_PARAMS = {
    "null": False,
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)
    manager.add_table(class_name="WorkerBeat", tablename="worker_beat", schema=None, columns=None)
    for name, column_class, params in (
        ("id", UUID, {"default": UUID4(), "primary_key": True}),
        ("name", Varchar, {"default": "", "length": 120, "unique": True}),
        ("beat_at", Timestamptz, {"default": TimestamptzNow()}),
    ):
        manager.add_column(
            table_class_name="WorkerBeat",
            tablename="worker_beat",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={**_PARAMS, **params},
            schema=None,
        )
    return manager
