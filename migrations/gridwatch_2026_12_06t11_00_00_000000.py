from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "a warning's CAP references (to follow a chain in any arrival order), and the areas "
    "and places its shapes reach, and why each"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)

    manager.add_column(
        table_class_name="EarlyWarning",
        tablename="early_warning",
        column_name="refs",
        db_column_name="refs",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
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

    manager.add_column(
        table_class_name="EarlyWarning",
        tablename="early_warning",
        column_name="reach_areas",
        db_column_name="reach_areas",
        column_class_name="JSON",
        column_class=JSON,
        params={
            "default": "[]",
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

    manager.add_column(
        table_class_name="EarlyWarning",
        tablename="early_warning",
        column_name="reach_places",
        db_column_name="reach_places",
        column_class_name="JSON",
        column_class=JSON,
        params={
            "default": "[]",
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

    manager.add_column(
        table_class_name="EarlyWarning",
        tablename="early_warning",
        column_name="reach_why",
        db_column_name="reach_why",
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
