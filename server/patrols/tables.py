"""Patrol tables: plans and their checkpoints (staff), patrols with their track points and
check-ins (phones, through sync). Points and check-ins are rows of their own, keyed by the
id the phone gave them: a replayed batch inserts nothing twice."""

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


class PatrolPlan(Table):
    id = UUID(primary_key=True)
    name = Varchar(length=120)
    #: the grid or area the plan covers (its checkpoints lie in it)
    area_path = Varchar(length=255, index=True)
    #: daily, twice_daily, weekly, on_warning
    schedule = Varchar(length=12, default="daily")
    #: people who walk it
    assignees = JSON(default="[]")
    active = Boolean(default=True)
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Checkpoint(Table):
    id = UUID(primary_key=True)
    plan_id = UUID(index=True)
    place_id = UUID(null=True, default=None)
    name = Varchar(length=120)
    lat = DoublePrecision()
    lng = DoublePrecision()
    #: standing within this many metres counts as being there
    radius_m = Integer(default=50)
    #: what the QR code at the checkpoint carries (the place's own token when it has one)
    qr_token = Varchar(length=32, index=True)
    position = Integer(default=0)


class Patrol(Table):
    id = UUID(primary_key=True)
    plan_id = UUID(null=True, default=None, index=True)
    person_id = UUID(index=True)
    area_path = Varchar(length=255, index=True, default="")
    #: started, ended
    state = Varchar(length=8, default="started")
    started_at = Timestamptz(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    points = Integer(default=0)
    distance_m = DoublePrecision(default=0.0)
    #: [{"kind": "speed"|"far", "detail": ...}]: for review, never a refusal
    flags = JSON(default="[]")
    received_at = Timestamptz(default=TimestamptzNow())
    seq = BigInt(default=0)


class TrackPoint(Table):
    id = UUID(primary_key=True)  # made on the phone
    patrol_id = UUID(index=True)
    lat = DoublePrecision()
    lng = DoublePrecision()
    accuracy = DoublePrecision(default=0.0)
    #: the phone's time of the fix (ms since the epoch)
    at_ms = BigInt()


class CheckIn(Table):
    id = UUID(primary_key=True)  # made on the phone
    patrol_id = UUID(index=True)
    checkpoint_id = UUID(index=True)
    #: qr (a code scanned), code (typed), geofence (standing inside it)
    method = Varchar(length=8)
    token = Varchar(length=32, default="")
    lat = DoublePrecision(null=True, default=None)
    lng = DoublePrecision(null=True, default=None)
    accuracy = DoublePrecision(null=True, default=None)
    #: normal, hazard (a hazard report was opened from it), note
    result = Varchar(length=8, default="normal")
    note = Varchar(length=300, default="")
    photos = JSON(default="[]")
    hazard_id = UUID(null=True, default=None)
    #: how far from the checkpoint the fix was; far ones are flagged for review
    distance_m = DoublePrecision(null=True, default=None)
    flagged = Boolean(default=False)
    at = Timestamptz(null=True, default=None)


class PatrolMiss(Table):
    """A checkpoint of a plan nobody checked in at within one of the plan's windows: found
    once by the worker after the window, and told to the station and the assignees."""

    id = UUID(primary_key=True)
    plan_id = UUID(index=True)
    checkpoint_id = UUID()
    window_start = Timestamptz()
    window_end = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())
