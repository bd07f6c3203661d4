from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import JSON, UUID, Boolean, Date, ForeignKey, Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-07T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "responsible departments and their staff's posts; a hazard's transfer (转办), its "
    "supervision notice's number, unit and delisting (销号), and its re-check (回头看)"
)


class Department(Table, tablename="department", schema=None):
    id = UUID(default=UUID4(), primary_key=True)


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

    def add(table, tablename, name, cls, **params):
        manager.add_column(
            table_class_name=table,
            tablename=tablename,
            column_name=name,
            db_column_name=name,
            column_class_name=cls.__name__,
            column_class=cls,
            params=_params(**params),
            schema=None,
        )

    manager.add_table(class_name="Department", tablename="department", schema=None, columns=None)
    add("Department", "department", "id", UUID, default=UUID4(), primary_key=True)
    add("Department", "department", "name", Varchar, length=60)
    add("Department", "department", "area_path", Varchar, length=255, index=True)
    add("Department", "department", "sectors", JSON, default="[]")
    add("Department", "department", "active", Boolean, default=True)

    add(
        "Post",
        "post",
        "department",
        ForeignKey,
        references=Department,
        on_delete=OnDelete.restrict,
        on_update=OnUpdate.cascade,
        target_column=None,
        default=None,
        null=True,
    )

    for name, length, index in (
        ("supervision_no", 60, True),
        ("supervision_unit", 255, False),
        ("delisted_on", 10, False),
        ("delist_note", 500, False),
        ("department_name", 60, False),
        ("transfer_note", 500, False),
        ("recheck_result", 10, False),
        ("recheck_note", 500, False),
    ):
        add("Hazard", "hazard", name, Varchar, length=length, index=index)
    add("Hazard", "hazard", "department_id", UUID, default=None, null=True, index=True)
    add("Hazard", "hazard", "recheck_due", Date, default=None, null=True, index=True)

    return manager
