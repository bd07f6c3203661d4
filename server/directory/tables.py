"""Directory tables. `area_path` columns hold the materialized path of an area, so that
"everything under this town" is one indexed prefix query (see server/directory/scope.py)."""

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from server.directory.kinds import Level, PlaceKind, PostKind, RiskGrade


class Area(Table):
    id = UUID(primary_key=True)
    #: administrative code: 6 digits (city, district), 9 (town), 12 (village); grids add "-NN"
    code = Varchar(length=40, unique=True, index=True)
    name = Varchar(length=100)
    level = Varchar(length=16, choices=Level)
    parent = ForeignKey(references="self", null=True, default=None, on_delete=OnDelete.restrict)
    #: "/city/district/town/village/grid/" by code; a prefix selects a whole subtree
    path = Varchar(length=255, unique=True, index=True)
    #: GeoJSON geometry (Polygon or MultiPolygon), optional
    polygon = JSON(null=True, default=None)
    center_lat = DoublePrecision(null=True, default=None)
    center_lng = DoublePrecision(null=True, default=None)


class Place(Table):
    """A registered place (纳管赋码) with the QR token printed for patrol check-ins."""

    id = UUID(primary_key=True)
    code = Varchar(length=40, unique=True, index=True)
    name = Varchar(length=120)
    kind = Varchar(length=24, choices=PlaceKind)
    grid = ForeignKey(references=Area, on_delete=OnDelete.restrict)
    #: the grid's path, copied here so place lists are scoped without a join
    area_path = Varchar(length=255, index=True)
    address = Varchar(length=255, default="")
    lat = DoublePrecision(null=True, default=None)
    lng = DoublePrecision(null=True, default=None)
    #: 1 重大 .. 4 低 (kinds.RiskGrade): ordering by it lists the riskiest first
    risk_grade = Varchar(length=1, choices=RiskGrade, default=RiskGrade.general.value)
    #: unguessable; what the QR code carries
    qr_token = Varchar(length=32, unique=True, index=True)
    active = Boolean(default=True)


class Department(Table):
    """A responsible department (行业主管部门: 住建, 交通, 市场监管, 水利, 消防...) of a city,
    county or town, and the hazard categories of the sectors it regulates (三管三必须:
    管行业必须管安全). A hazard outside a station's remit is transferred to one."""

    id = UUID(primary_key=True)
    name = Varchar(length=60)
    #: the area it belongs to (its government's level): it takes hazards under this path
    area_path = Varchar(length=255, index=True)
    #: top-level hazard category codes of its sectors ("building", "traffic"...)
    sectors = JSON(default="[]")
    active = Boolean(default=True)


class DutySlot(Table):
    """One day of an area's duty rota (值班表): the leader in charge (带班领导) and the duty
    officer (值班员), 24 hours from the city's midnight. Escalation reaches the officer."""

    id = UUID(primary_key=True)
    #: area_path + "|" + day: one slot per area and day
    key = Varchar(length=280, unique=True)
    #: a city's, county's or town's path
    area_path = Varchar(length=255, index=True)
    #: the city's day, YYYY-MM-DD
    day = Varchar(length=10, index=True)
    leader_id = UUID(null=True, default=None)
    officer_id = UUID(null=True, default=None)
    updated_by = UUID(null=True, default=None)


class Person(Table):
    id = UUID(primary_key=True)
    name = Varchar(length=50)
    #: the login; unique, digits only
    mobile = Varchar(length=20, unique=True, index=True)
    #: argon2; empty means the person cannot log in until an admin sets a password
    password_hash = Varchar(length=255, default="")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Post(Table):
    """A duty post: a person's role for an area (or a place), with a superior for escalation."""

    id = UUID(primary_key=True)
    person = ForeignKey(references=Person, index=True)
    kind = Varchar(length=24, choices=PostKind)
    area = ForeignKey(references=Area, null=True, default=None, on_delete=OnDelete.restrict)
    place = ForeignKey(references=Place, null=True, default=None, on_delete=OnDelete.restrict)
    #: the area's path (the place's grid path for a place post): what the post covers
    area_path = Varchar(length=255, index=True, default="")
    superior = ForeignKey(
        references=LazyTableReference("Post", module_path=__name__),
        null=True,
        default=None,
        on_delete=OnDelete.set_null,
    )
    #: free text shown next to the kind, e.g. 村支书, 站长
    title = Varchar(length=50, default="")
    #: the department a department-staff post serves
    department = ForeignKey(
        references=Department, null=True, default=None, on_delete=OnDelete.restrict
    )
    active = Boolean(default=True)
