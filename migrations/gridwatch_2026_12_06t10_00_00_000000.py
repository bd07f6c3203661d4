from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-12-06T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "the figures' rollup (hazard_tally) and the indexes figures read: closed hazards by "
    "their time to close, overdue ones by deadline"
)


def _indexes(sqlite: bool) -> tuple[str, ...]:
    """The expressions are the ones figures.py queries with (db.seconds_between): an index
    on an expression serves only the same expression."""
    span = (
        "((julianday(closed_at) - julianday(reported_at)) * 86400.0)"
        if sqlite
        else "(EXTRACT(EPOCH FROM (closed_at - reported_at)))"
    )
    # PostgreSQL answers from the index alone (INCLUDE); SQLite from the trailing columns
    close = (
        f"CREATE INDEX IF NOT EXISTS hazard_close_span ON hazard ({span}, reported_at, area_path) "
        "WHERE status = 'closed'"
        if sqlite
        else f"CREATE INDEX IF NOT EXISTS hazard_close_span ON hazard ({span}) "
        "INCLUDE (reported_at, area_path, closed_at) WHERE status = 'closed'"
    )
    late = (
        "CREATE INDEX IF NOT EXISTS hazard_late ON hazard (deadline, reported_at, area_path) "
        "WHERE status IN ('accepted', 'assigned')"
        if sqlite
        else "CREATE INDEX IF NOT EXISTS hazard_late ON hazard (deadline) "
        "INCLUDE (reported_at, area_path) WHERE status IN ('accepted', 'assigned')"
    )
    return close, late


async def _index() -> None:
    """Raw steps run before the table steps: these touch the hazard table only."""
    engine = engine_finder()
    for sql in _indexes(isinstance(engine, SQLiteEngine)):
        await engine.run_ddl(sql)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)

    manager.add_table(
        class_name="HazardTally",
        tablename="hazard_tally",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="HazardTally",
        tablename="hazard_tally",
        column_name="key",
        db_column_name="key",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 300,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="HazardTally",
        tablename="hazard_tally",
        column_name="area_path",
        db_column_name="area_path",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 255,
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
        table_class_name="HazardTally",
        tablename="hazard_tally",
        column_name="day",
        db_column_name="day",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 10,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="HazardTally",
        tablename="hazard_tally",
        column_name="status",
        db_column_name="status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 12,
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
        table_class_name="HazardTally",
        tablename="hazard_tally",
        column_name="major",
        db_column_name="major",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
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
        table_class_name="HazardTally",
        tablename="hazard_tally",
        column_name="days",
        db_column_name="days",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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
        table_class_name="HazardTally",
        tablename="hazard_tally",
        column_name="n",
        db_column_name="n",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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

    manager.add_raw(_index)
    return manager
