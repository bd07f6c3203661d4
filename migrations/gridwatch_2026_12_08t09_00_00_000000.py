from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    DoublePrecision,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-08T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "evacuation (转移避险): danger zones, households, residents, shelters, evacuations, "
    "their rosters and trails"
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


NULL = {"default": None, "null": True}
#: table class name -> its columns: (name, class, params)
TABLES = {
    "DangerZone": [
        ("code", Varchar, {"length": 40, "unique": True, "index": True}),
        ("name", Varchar, {"length": 120}),
        ("kind", Varchar, {"length": 20}),
        ("area_path", Varchar, {"length": 255, "index": True}),
        ("polygon", JSON, NULL),
        ("shelter_ids", JSON, {"default": "[]"}),
        ("note", Varchar, {"length": 300}),
        ("active", Boolean, {"default": True}),
    ],
    "Household": [
        ("code", Varchar, {"length": 40, "unique": True, "index": True}),
        ("zone_id", UUID, {"default": UUID4(), "index": True}),
        ("area_path", Varchar, {"length": 255, "index": True}),
        ("head_name", Varchar, {"length": 50}),
        ("mobile", Varchar, {"length": 20}),
        ("address", Varchar, {"length": 255}),
        ("people", Integer, {"default": 1}),
        ("special", Boolean, {"default": False}),
        ("keeper_post_id", UUID, {**NULL, "index": True}),
        ("active", Boolean, {"default": True}),
    ],
    "Resident": [
        ("household_id", UUID, {"default": UUID4(), "index": True}),
        ("name", Varchar, {"length": 50}),
        ("mobile", Varchar, {"length": 20}),
        ("need", Varchar, {"length": 20}),
        ("note", Varchar, {"length": 200}),
    ],
    "Shelter": [
        ("code", Varchar, {"length": 40, "unique": True, "index": True}),
        ("name", Varchar, {"length": 120}),
        ("level", Varchar, {"length": 8}),
        ("area_path", Varchar, {"length": 255, "index": True}),
        ("capacity", Integer, {"default": 50}),
        ("address", Varchar, {"length": 255}),
        ("lat", DoublePrecision, NULL),
        ("lng", DoublePrecision, NULL),
        ("manager_id", UUID, {**NULL, "index": True}),
        ("facilities", Varchar, {"length": 300}),
        ("appraised_on", Varchar, {"length": 10}),
        ("open", Boolean, {"default": False}),
    ],
    "Evacuation": [
        ("code", Varchar, {"length": 24, "index": True}),
        ("title", Varchar, {"length": 120}),
        ("warning_id", UUID, NULL),
        ("callup_id", UUID, NULL),
        ("drill", Boolean, {"default": False}),
        ("state", Varchar, {"length": 10, "default": "active", "index": True}),
        ("zone_ids", JSON, {"default": "[]"}),
        ("area_paths", JSON, {"default": "[]"}),
        ("window_minutes", Integer, {"default": 30}),
        ("started_by", UUID, {"default": UUID4()}),
        ("started_at", Timestamptz, {"default": TimestamptzNow()}),
        ("returning_at", Timestamptz, NULL),
        ("closed_at", Timestamptz, NULL),
        ("version", BigInt, {"default": 0}),
    ],
    "EvacRow": [
        ("evacuation_id", UUID, {"default": UUID4(), "index": True}),
        ("household_id", UUID, {"default": UUID4(), "index": True}),
        ("zone_id", UUID, {"default": UUID4()}),
        ("area_path", Varchar, {"length": 255}),
        ("village_path", Varchar, {"length": 255}),
        ("town_path", Varchar, {"length": 255}),
        ("people", Integer, {"default": 1}),
        ("special", Boolean, {"default": False}),
        ("keeper_id", UUID, NULL),
        ("removed", Boolean, {"default": False}),
        ("mark", Varchar, {"length": 12}),
        ("destination", Varchar, {"length": 10}),
        ("shelter_id", UUID, NULL),
        ("heads", Integer, NULL),
        ("reason", Varchar, {"length": 300}),
        ("marked_at", Timestamptz, NULL),
        ("marked_by", UUID, NULL),
        ("checkin_shelter_id", UUID, {**NULL, "index": True}),
        ("checkin_heads", Integer, NULL),
        ("checked_in_at", Timestamptz, NULL),
        ("checked_out_at", Timestamptz, NULL),
        ("rounds", Integer, {"default": 0}),
        ("next_at", Timestamptz, {**NULL, "index": True}),
        ("seq", BigInt, {"default": 0}),
    ],
    "EvacEvent": [
        ("evacuation_id", UUID, {"default": UUID4(), "index": True}),
        ("row_id", UUID, {**NULL, "index": True}),
        ("kind", Varchar, {"length": 16}),
        ("actor_id", UUID, NULL),
        ("detail", JSON, {"default": "{}"}),
        ("at", Timestamptz, {"default": TimestamptzNow()}),
    ],
}
TABLE_NAMES = {
    "DangerZone": "danger_zone",
    "Household": "household",
    "Resident": "resident",
    "Shelter": "shelter",
    "Evacuation": "evacuation",
    "EvacRow": "evac_row",
    "EvacEvent": "evac_event",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gridwatch", description=DESCRIPTION)
    for class_name, columns in TABLES.items():
        tablename = TABLE_NAMES[class_name]
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, cls, params in [
            ("id", UUID, {"default": UUID4(), "primary_key": True}),
            *columns,
        ]:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=cls.__name__,
                column_class=cls,
                params=_params(**params),
                schema=None,
            )
    return manager
