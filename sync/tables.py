"""The sync layer's own tables: the mutation log, record versions, the change feed,
history, conflicts, devices and alerts. Domain tables hold only current values."""

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class SyncMutation(Table):
    """Every mutation received, once, with its outcome. Append-only: replaying it in seq
    order on an empty database rebuilds the same state."""

    id = UUID(primary_key=True)  # the phone's mutation_id
    #: the server's order of everything
    seq = BigInt(unique=True, index=True)
    device_id = UUID(index=True)
    epoch = Integer(default=0)
    device_seq = BigInt(default=0)
    person_id = UUID(null=True, default=None, index=True)
    #: the author's post kinds when it was applied (authority is judged then, not later)
    roles = JSON(default="[]")
    entity = Varchar(length=40)
    record_id = UUID(index=True)
    op = Varchar(length=40)
    #: the whole envelope as received, so nothing the phone sent is ever lost
    payload = JSON(default="{}")
    verdict = Varchar(length=16)
    reason = Varchar(length=500, default="")
    #: the HLC used (clamped) and how far ahead the phone's was
    hlc = Varchar(length=90)
    skew_ms = BigInt(default=0)
    phone_time_ms = BigInt(null=True, default=None)
    received_ms = BigInt()
    received_at = Timestamptz(default=TimestamptzNow())


class SyncRecord(Table):
    """A record's version: its last change seq and, per field, the seq and HLC that set it."""

    id = UUID(primary_key=True)
    entity = Varchar(length=40, index=True)
    record_id = UUID(unique=True, index=True)
    seq = BigInt(default=0)
    fields = JSON(default="{}")
    #: where the record lies, for the scoped change feed
    scope_path = Varchar(length=255, default="")


class SyncChange(Table):
    """The change feed: one entry per change (and a removal when a record leaves a scope)."""

    id = UUID(primary_key=True)
    pos = BigInt(unique=True, index=True)
    seq = BigInt(index=True)
    entity = Varchar(length=40)
    record_id = UUID()
    url = Varchar(length=255, default="")
    scope_path = Varchar(length=255, default="", index=True)
    #: a person the record is assigned to (sees it whatever their areas)
    assignee_id = UUID(null=True, default=None)
    removed = Varchar(length=1, default="")  # "y" when the entry says: gone from this scope


class SyncHistory(Table):
    """Values that are not current: overwritten by a later write, or lost a contest."""

    id = UUID(primary_key=True)
    seq = BigInt(index=True)
    entity = Varchar(length=40)
    record_id = UUID(index=True)
    field = Varchar(length=60)
    #: {"value": ...}: wrapped, so that any JSON value (a bare string too) survives both engines
    value = JSON(default="{}")
    hlc = Varchar(length=90)
    source = Varchar(length=10)
    mutation_id = UUID()


class SyncConflict(Table):
    id = UUID(primary_key=True)
    seq = BigInt(index=True)
    entity = Varchar(length=40)
    record_id = UUID(index=True)
    field = Varchar(length=60)
    kind = Varchar(length=10)
    #: {"value": ...}, as in SyncHistory
    server_value = JSON(default="{}")
    incoming_value = JSON(default="{}")
    server_hlc = Varchar(length=90)
    incoming_hlc = Varchar(length=90)
    winner = Varchar(length=10)
    mutation_id = UUID()
    #: who sent the incoming value
    person_id = UUID(null=True, default=None, index=True)
    #: who wrote the stored value: both see the conflict (the one whose value lost above all)
    server_person_id = UUID(null=True, default=None, index=True)
    scope_path = Varchar(length=255, default="", index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    resolved_by = UUID(null=True, default=None)
    #: the mutation that resolved it (resolving is itself a mutation)
    resolution_id = UUID(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)


class SyncDevice(Table):
    id = UUID(primary_key=True)  # the device_id
    person_id = UUID(null=True, default=None, index=True)
    epoch = Integer(default=0)
    #: the highest device_seq the phone said it had created in this epoch
    announced_seq = BigInt(default=0)
    last_seen_at = Timestamptz(default=TimestamptzNow())
    #: what the phone said each item of this epoch is, by its position ({"12": ["hazard.report",
    #: "楼道飞线充电"]}), the newest few hundred: a lost item is named by what it was
    titles = JSON(default="{}")


class SyncAlert(Table):
    """Something a supervisor must look at, e.g. a phone that lost unsent mutations."""

    id = UUID(primary_key=True)
    kind = Varchar(length=30)
    device_id = UUID(null=True, default=None)
    person_id = UUID(null=True, default=None, index=True)
    detail = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
    seen_at = Timestamptz(null=True, default=None)
