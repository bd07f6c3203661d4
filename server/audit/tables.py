"""Audit trail tables."""

from piccolo.columns import JSON, UUID, BigInt, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEvent(Table):
    id = UUID(primary_key=True)
    #: gapless position in the trail: allocated under a lock so the order is the commit order
    seq = BigInt(unique=True, index=True)
    #: server receipt time (UTC)
    at = Timestamptz(default=TimestamptzNow())
    #: the person who acted; null for the system and anonymous residents
    actor_id = UUID(null=True, default=None)
    #: verb-first, dotted: "demo.load", "hazard.close"
    action = Varchar(length=64)
    entity = Varchar(length=64, default="")
    record_id = Varchar(length=64, default="")
    detail = JSON(default="{}")
