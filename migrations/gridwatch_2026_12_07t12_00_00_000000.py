from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import UUID, Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "duty rotas (值班表): one slot per area and day, its leader and its officer"


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
    manager.add_table(class_name="DutySlot", tablename="duty_slot", schema=None, columns=None)

    def add(name, cls, **params):
        manager.add_column(
            table_class_name="DutySlot",
            tablename="duty_slot",
            column_name=name,
            db_column_name=name,
            column_class_name=cls.__name__,
            column_class=cls,
            params=_params(**params),
            schema=None,
        )

    add("id", UUID, default=UUID4(), primary_key=True)
    add("key", Varchar, length=280, unique=True)
    add("area_path", Varchar, length=255, index=True)
    add("day", Varchar, length=10, index=True)
    for name in ("leader_id", "officer_id", "updated_by"):
        add(name, UUID, default=None, null=True)
    return manager
