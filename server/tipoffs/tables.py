"""Tip-off tables: the tip-off itself (public number, secret tracking code), its trail, the
reward rules and rewards, and the block list. Rate limits count tip-off rows themselves."""

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    DoublePrecision,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class TipOff(Table):
    id = UUID(primary_key=True)
    #: public number (Open311's service_request_id), e.g. JB20261124-0007
    number = Varchar(length=24, unique=True, index=True)
    #: the reporter's secret: whoever has it sees the reply and the reward
    code = Varchar(length=23, unique=True, index=True)
    #: made by the form each time it is shown: a form sent twice (a replay from the phone
    #: whose answer was lost) is one tip-off
    submission_id = UUID(null=True, default=None, unique=True)
    category = Varchar(length=40)
    description = Text(default="")
    lat = DoublePrecision(null=True, default=None)
    lng = DoublePrecision(null=True, default=None)
    accuracy = DoublePrecision(null=True, default=None)
    address = Varchar(length=200, default="")
    #: the grid the location lies in; empty when it lies in none (the bureau routes it)
    area_path = Varchar(length=255, index=True, default="")
    #: [{"id", "sha256": the copy without metadata (served), "original": kept apart}]
    photos = JSON(default="[]")
    #: a partner system's link to its own copy of a photo (Open311 media_url; not fetched)
    media_url = Varchar(length=500, default="")
    name = Varchar(length=50, default="")
    #: seen only by staff who handle rewards
    mobile = Varchar(length=20, default="", index=True)
    #: received, accepted, rejected, resolved
    state = Varchar(length=10, default="received", index=True)
    reject_reason = Varchar(length=300, default="")
    #: what the reporter reads
    reply = Text(default="")
    replied_at = Timestamptz(null=True, default=None)
    hazard_id = UUID(null=True, default=None, index=True)
    handled_by = UUID(null=True, default=None)
    #: web, or open311 (then `partner` names the key's holder), or staff (entered at a desk)
    source = Varchar(length=10, default="web")
    #: how it reached us (channels.Channel): web, open311, 12350 hotline, 12345 hotline,
    #: a superior's transfer, a letter, a visit, another phone call
    channel = Varchar(length=12, default="web", index=True)
    #: the staff member who entered one taken by phone or letter
    entered_by = UUID(null=True, default=None)
    #: where the 受理 and 办结 time limits (TIPOFF_DUE_DAYS) count from: its receipt, or
    #: the reporter's 未解决 that reopened it (set by every insert; nullable only because
    #: SQLite cannot add a column with a non-constant default to a table with rows)
    counted_from = Timestamptz(null=True, default=None, index=True)
    #: the reporter's answer once resolved: satisfied, unsatisfied (满意率)
    satisfaction = Varchar(length=12, default="")
    #: how many times the reporter said 未解决 (each reopened it)
    reopened = Integer(default=0)
    partner = Varchar(length=40, default="")
    #: HMAC of the sender's IP (rate limits, the block list; the address itself is not kept)
    ip_hash = Varchar(length=64, index=True, default="")
    received_at = Timestamptz(default=TimestamptzNow(), index=True)
    accepted_at = Timestamptz(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)


class TipOffEvent(Table):
    """The trail: received, accepted, joined, rejected, replied, resolved, reward steps."""

    id = UUID(primary_key=True)
    tipoff_id = UUID(index=True)
    kind = Varchar(length=20)
    actor_id = UUID(null=True, default=None)
    detail = JSON(default="{}")
    at = Timestamptz(default=TimestamptzNow())


class RewardRule(Table):
    """举报奖励: what a valid tip-off of a hazard of a level earns its first reporter."""

    id = UUID(primary_key=True)
    #: general (一般) or major (重大)
    level = Varchar(length=10, unique=True)
    #: fixed (up to max_yuan) or share (share_percent of the fine, within min and max)
    kind = Varchar(length=8, default="fixed")
    min_yuan = Integer(default=0)
    max_yuan = Integer(default=500)
    share_percent = Integer(default=0)
    active = Boolean(default=True)


class Reward(Table):
    id = UUID(primary_key=True)
    tipoff_id = UUID(unique=True)
    hazard_id = UUID(index=True)
    #: eligible, approved, paid, declined
    state = Varchar(length=10, default="eligible", index=True)
    level = Varchar(length=10, default="general")
    amount_yuan = Integer(null=True, default=None)
    #: the fine a share was taken of
    fine_yuan = Integer(null=True, default=None)
    note = Varchar(length=300, default="")
    decided_by = UUID(null=True, default=None)
    approved_by = UUID(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class BlockEntry(Table):
    """What may not send tip-offs: an IP (by its HMAC), a mobile number, or a word."""

    id = UUID(primary_key=True)
    #: ip, mobile, word
    kind = Varchar(length=8)
    value = Varchar(length=100)
    reason = Varchar(length=200, default="")
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
