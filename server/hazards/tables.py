"""Hazard tables: the hazard itself, its timeline, the category tree and the in-app inbox.

The phone-writable columns of `Hazard` are the fields of HAZARD_POLICY (policy.py); the rest
are set by the server only (code, reporter, times). Nothing is deleted: every change is an
event on the timeline.
"""

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    Date,
    DoublePrecision,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class HazardCategory(Table):
    #: "fire", "fire.ebike": the part before the dot is the parent
    code = Varchar(length=40, unique=True, index=True)
    name = Varchar(length=60)
    name_en = Varchar(length=80, default="")
    parent = Varchar(length=40, default="")
    position = Integer(default=0)
    active = Boolean(default=True)


class Hazard(Table):
    id = UUID(primary_key=True)
    #: human number shown on sheets and ledgers, e.g. YH20261124-1042
    code = Varchar(length=24, index=True)
    #: not indexed on its own: an index named hazard_category would clash with that table
    category = Varchar(length=40)
    #: general (一般) or major (重大)
    level = Varchar(length=10, default="general", index=True)
    status = Varchar(length=12, default="reported", index=True)
    description = Text(default="")
    lat = DoublePrecision(null=True, default=None)
    lng = DoublePrecision(null=True, default=None)
    #: metres, as the phone's GPS fix reported it
    accuracy = DoublePrecision(null=True, default=None)
    address = Varchar(length=200, default="")
    place_id = UUID(null=True, default=None)
    place_name = Varchar(length=120, default="")
    #: the grid's path (scoped lists are one prefix query)
    area_path = Varchar(length=255, index=True)
    #: grid (巡查上报), staff (代报), tipoff (群众举报), patrol (巡查打卡)
    source = Varchar(length=10, default="grid")
    reporter_id = UUID(null=True, default=None, index=True)
    reporter_name = Varchar(length=50, default="")
    photos_before = JSON(default="[]")
    photos_after = JSON(default="[]")
    #: people following this hazard (reporters of merged duplicates among them)
    followers = JSON(default="[]")
    notes = JSON(default="[]")
    reject_reason = Varchar(length=20, default="")
    merged_into = UUID(null=True, default=None)
    assignee_id = UUID(null=True, default=None, index=True)
    assignee_name = Varchar(length=50, default="")
    assignee_unit = Varchar(length=100, default="")
    measures = Text(default="")
    #: 整改时限
    deadline = Date(null=True, default=None, index=True)
    extension_until = Varchar(length=10, default="")
    extension_reason = Varchar(length=500, default="")
    rectify_note = Text(default="")
    sendback_reason = Varchar(length=500, default="")
    verify_note = Varchar(length=500, default="")
    #: 挂牌督办: level, the five "落实" and the dates
    supervision = JSON(default="{}")
    #: "city" or "county" while under supervision (a plain column: lists filter on it)
    supervised_level = Varchar(length=10, default="", index=True)
    #: the 督办通知书's number (临江市督〔2026〕3号), given once by the server
    supervision_no = Varchar(length=60, default="", index=True)
    #: the area path of the unit that supervises it: only its bureau staff delist it
    supervision_unit = Varchar(length=255, default="")
    #: 销号: the date and the note of the supervising unit
    delisted_on = Varchar(length=10, default="")
    delist_note = Varchar(length=500, default="")
    #: 转办: the responsible department it was transferred to (its name kept for ledgers)
    department_id = UUID(null=True, default=None, index=True)
    department_name = Varchar(length=60, default="")
    transfer_note = Varchar(length=500, default="")
    #: 回头看: when a closed major hazard is due to be checked again; its last result
    recheck_due = Date(null=True, default=None, index=True)
    recheck_result = Varchar(length=10, default="")
    recheck_note = Varchar(length=500, default="")
    reported_at = Timestamptz(default=TimestamptzNow(), index=True)
    received_at = Timestamptz(default=TimestamptzNow())
    accepted_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None, index=True)
    #: the sync seq of the last change (what a form's base_seq names)
    seq = BigInt(default=0)


class HazardEvent(Table):
    """One entry of a hazard's timeline: who, on which device, phone time and server time."""

    hazard_id = UUID(index=True)
    #: the op (report, accept, assign, rectify, ...) or a worker event (remind, overdue)
    kind = Varchar(length=24)
    actor_id = UUID(null=True, default=None)
    actor_name = Varchar(length=50, default="")
    device_id = UUID(null=True, default=None)
    phone_time = Timestamptz(null=True, default=None)
    server_time = Timestamptz(default=TimestamptzNow())
    #: the fields the event carried (reasons, notes, photos, deadline...)
    data = JSON(default="{}")
    #: True when the event could not change the status (e.g. evidence after closure)
    addendum = Boolean(default=False)
    seq = BigInt(default=0)


class HazardNotice(Table):
    """The in-app inbox until the notifications issue delivers these by push and SMS."""

    person_id = UUID(index=True)
    hazard_id = UUID()
    kind = Varchar(length=24)
    created_at = Timestamptz(default=TimestamptzNow())
    read = Boolean(default=False)


class HazardChase(Table):
    """Reminders and overdue flags already sent: the key (hazard, deadline, what) makes the
    worker's job safe to run again, or on two workers at once."""

    key = Varchar(length=80, unique=True)
    hazard_id = UUID(index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class HazardTally(Table):
    """The figures' rollup (tally.py): how many hazards share a town (or the coarser area
    they were reported in), a local report day, a status, majorness and, closed ones, the
    whole days they took to close."""

    #: all the parts below, joined: what a change adds to or takes from
    key = Varchar(length=300, unique=True)
    #: the hazard's area path cut at the town: /city/district/town/
    area_path = Varchar(length=255)
    #: the local day it was reported, YYYY-MM-DD
    day = Varchar(length=10, index=True)
    status = Varchar(length=12)
    major = Boolean(default=False)
    #: whole days from report to closure (0 when not closed)
    days = Integer(default=0)
    n = Integer(default=0)
