"""Evacuation tables: what is planned before the flood season (danger zones, households and
their residents, shelters) and what an evacuation writes (its roster, each row's trail).
Nothing of an evacuation is deleted: a household taken off the roster is marked removed."""

from piccolo.columns import (
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
from piccolo.table import Table


class DangerZone(Table):
    """A danger zone (危险区域) of a village: a polygon, or simply the households listed in it."""

    id = UUID(primary_key=True)
    code = Varchar(length=40, unique=True, index=True)
    name = Varchar(length=120)
    #: kinds.ZoneKind
    kind = Varchar(length=20)
    #: the village's path: a warning or call-up over it reaches the zone
    area_path = Varchar(length=255, index=True)
    #: GeoJSON Polygon, optional
    polygon = JSON(null=True, default=None)
    #: the shelters its people go to, first choice first (planned in advance)
    shelter_ids = JSON(default="[]")
    note = Varchar(length=300, default="")
    active = Boolean(default=True)


class Household(Table):
    id = UUID(primary_key=True)
    #: typed or scanned at the shelter's door: the village code and a number (…-H001)
    code = Varchar(length=40, unique=True, index=True)
    zone_id = UUID(index=True)
    #: the grid's path (the village's when no grid is known): who answers for it
    area_path = Varchar(length=255, index=True)
    head_name = Varchar(length=50)
    mobile = Varchar(length=20, default="")
    address = Varchar(length=255, default="")
    people = Integer(default=1)
    #: a resident with a special need lives here (kept true by the directory of households)
    special = Boolean(default=False)
    #: the household_keeper post (包保人) answering for it
    keeper_post_id = UUID(null=True, default=None, index=True)
    active = Boolean(default=True)


class Resident(Table):
    """A named resident: the head, and every special-needs person (孤寡老人, 残疾人, 独居...)."""

    id = UUID(primary_key=True)
    household_id = UUID(index=True)
    name = Varchar(length=50)
    mobile = Varchar(length=20, default="")
    #: kinds.Need, or "" for none
    need = Varchar(length=20, default="")
    note = Varchar(length=200, default="")


class Shelter(Table):
    """A shelter (避灾安置场所)."""

    id = UUID(primary_key=True)
    code = Varchar(length=40, unique=True, index=True)
    name = Varchar(length=120)
    #: kinds.ShelterLevel
    level = Varchar(length=8)
    area_path = Varchar(length=255, index=True)
    capacity = Integer(default=50)
    address = Varchar(length=255, default="")
    lat = DoublePrecision(null=True, default=None)
    lng = DoublePrecision(null=True, default=None)
    #: who checks people in and out on their phone
    manager_id = UUID(null=True, default=None, index=True)
    facilities = Varchar(length=300, default="")
    #: the last safety appraisal, YYYY-MM-DD ("" never)
    appraised_on = Varchar(length=10, default="")
    open = Boolean(default=False)


class Evacuation(Table):
    id = UUID(primary_key=True)
    #: ZY20261205-0001
    code = Varchar(length=24, index=True)
    title = Varchar(length=120)
    warning_id = UUID(null=True, default=None)
    callup_id = UUID(null=True, default=None)
    #: an exercise (演练): labelled everywhere and counted apart
    drill = Boolean(default=False)
    #: kinds.EvacState
    state = Varchar(length=10, default="active", index=True)
    zone_ids = JSON(default="[]")
    #: the villages its zones lie in: who may watch it
    area_paths = JSON(default="[]")
    #: a special-needs household not marked within this many minutes escalates
    window_minutes = Integer(default=30)
    started_by = UUID()
    started_at = Timestamptz(default=TimestamptzNow())
    returning_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    #: bumped on every change: open boards poll it
    version = BigInt(default=0)


class EvacRow(Table):
    """A household on an evacuation's roster, with its latest trusted mark."""

    id = UUID(primary_key=True)
    evacuation_id = UUID(index=True)
    household_id = UUID(index=True)
    zone_id = UUID()
    area_path = Varchar(length=255, default="")
    village_path = Varchar(length=255, default="")
    town_path = Varchar(length=255, default="")
    people = Integer(default=1)
    special = Boolean(default=False)
    keeper_id = UUID(null=True, default=None)
    #: taken off the roster by staff (kept, with who and why, in the trail)
    removed = Boolean(default=False)
    #: kinds.Mark or "" (to move); the latest by trusted time wins
    mark = Varchar(length=12, default="")
    destination = Varchar(length=10, default="")
    shelter_id = UUID(null=True, default=None)
    heads = Integer(null=True, default=None)
    reason = Varchar(length=300, default="")
    marked_at = Timestamptz(null=True, default=None)
    marked_by = UUID(null=True, default=None)
    #: at a shelter: where and when, and when they left
    checkin_shelter_id = UUID(null=True, default=None, index=True)
    checkin_heads = Integer(null=True, default=None)
    checked_in_at = Timestamptz(null=True, default=None)
    checked_out_at = Timestamptz(null=True, default=None)
    #: escalation of an unmarked special-needs household: rounds done, next one due
    rounds = Integer(default=0)
    next_at = Timestamptz(null=True, default=None, index=True)
    seq = BigInt(default=0)


class EvacEvent(Table):
    """The trail (全过程留痕): the start, each mark (every one, the losing ones too), each
    check-in and check-out, each escalation step, the return."""

    id = UUID(primary_key=True)
    evacuation_id = UUID(index=True)
    row_id = UUID(null=True, default=None, index=True)
    kind = Varchar(length=16)
    actor_id = UUID(null=True, default=None)
    detail = JSON(default="{}")
    at = Timestamptz(default=TimestamptzNow())
