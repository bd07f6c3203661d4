from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import UUID, Integer, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "a tip-off's channel (12350, 12345, a superior's transfer...), who entered it, where its "
    "time limits count from, and the reporter's answer (满意率, 未解决)"
)


def _params(**given):
    params = {
        "default": "",
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    params.update(given)
    return params


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)

    def add(name, cls, **params):
        manager.add_column(
            table_class_name="TipOff",
            tablename="tip_off",
            column_name=name,
            db_column_name=name,
            column_class_name=cls.__name__,
            column_class=cls,
            params=_params(**params),
            schema=None,
        )

    add("channel", Varchar, length=12, default="web", index=True)
    add("entered_by", UUID, default=None, null=True)
    # nullable, no default: SQLite cannot add a column with a non-constant default to a
    # table with rows (the next migration fills it from received_at)
    add("counted_from", Timestamptz, default=None, null=True, index=True)
    add("satisfaction", Varchar, length=12)
    add("reopened", Integer, default=0)

    return manager
