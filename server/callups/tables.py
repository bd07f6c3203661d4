"""Call-up tables: warnings (manual or CAP), call-ups, their targets, and each target's
timeline. Nothing is deleted; a warning's update or cancellation supersedes it."""

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    DoublePrecision,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class EarlyWarning(Table):
    """An early warning (预警), manual or imported from CAP."""

    id = UUID(primary_key=True)
    #: manual or cap
    source = Varchar(length=8, default="manual")
    #: CAP identifier and sender (manual warnings get a generated identifier)
    identifier = Varchar(length=160, index=True)
    sender = Varchar(length=160, default="")
    #: CAP msgType: Alert, Update, Cancel
    msg_type = Varchar(length=8, default="Alert")
    #: CAP status: Actual or Exercise (a drill); others are refused at import
    status = Varchar(length=10, default="Actual")
    hazard_type = Varchar(length=16)
    level = Varchar(length=8)
    headline = Varchar(length=200)
    description = Text(default="")
    instruction = Text(default="")
    #: every language block of the alert: [{"language", "event", "headline", "description",
    #: "instruction", "area_desc"}]
    texts = JSON(default="[]")
    area_desc = Varchar(length=500, default="")
    #: geocodes as given, and the paths of our areas they matched (the outermost only)
    area_codes = JSON(default="[]")
    area_paths = JSON(default="[]")
    #: what its polygons and circles reach: areas whose boundary they overlap (their own
    #: posts, not everything under them) and places inside them (warnings.reach_of)
    reach_areas = JSON(default="[]")
    reach_places = JSON(default="[]")
    #: which rule reached each (area path or place id -> code, polygon, circle, grid)
    reach_why = JSON(default="{}")
    #: [[lat, lng], ...] rings and [lat, lng, radius_km] circles as given
    polygons = JSON(default="[]")
    circles = JSON(default="[]")
    valid_from = Timestamptz(null=True, default=None)
    valid_to = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(default=TimestamptzNow())
    #: active, updated (superseded), cancelled, expired
    state = Varchar(length=10, default="active", index=True)
    #: the warning this one updates or cancels; and the one that superseded this one
    supersedes = UUID(null=True, default=None)
    superseded_by = UUID(null=True, default=None)
    #: the CAP <references> as "sender,identifier" tokens, space separated: the links of
    #: its chain, kept so that an alert arriving after the one naming it joins the chain
    refs = Text(default="")
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Callup(Table):
    id = UUID(primary_key=True)
    #: JY20261124-0001, shown on the board and the report
    code = Varchar(length=24, index=True)
    warning_id = UUID(null=True, default=None, index=True)
    title = Varchar(length=120)
    body = Varchar(length=400, default="")
    level = Varchar(length=8)
    #: an exercise (演练): labelled everywhere and counted apart from real call-ups
    drill = Boolean(default=False)
    #: draft (targets being edited), sent, closed
    state = Varchar(length=8, default="draft", index=True)
    window_minutes = Integer(default=30)
    #: how many escalation rounds after the first window (each: again, then up the chain)
    max_rounds = Integer(default=3)
    area_paths = JSON(default="[]")
    post_kinds = JSON(default="[]")
    created_by = UUID()
    issued_by = UUID(null=True, default=None)
    issued_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    #: bumped on every change of the call-up or a target: open boards poll it
    version = BigInt(default=0)


class CallupTarget(Table):
    id = UUID(primary_key=True)
    callup_id = UUID(index=True)
    person_id = UUID()
    post_id = UUID(null=True, default=None)
    #: what the target answers for: the post's area path; town and village paths for figures
    area_path = Varchar(length=255, default="")
    town_path = Varchar(length=255, default="")
    village_path = Varchar(length=255, default="")
    #: computed, added (by the issuer while editing), standin (named by a target who cannot come)
    origin = Varchar(length=8, default="computed")
    standin_for = UUID(null=True, default=None)
    #: the post's superior's holder, told when the target stays silent
    superior_id = UUID(null=True, default=None)
    #: when this target was called up (the call-up's issue, or when named as stand-in):
    #: no confirmation can be earlier
    called_at = Timestamptz(null=True, default=None)
    #: when the call-up's message to this target was queued (in the same transaction): a
    #: target called but not queued is one a crashed send left behind (service.queue_messages)
    queued_at = Timestamptz(null=True, default=None, index=True)
    delivered_at = Timestamptz(null=True, default=None)
    opened_at = Timestamptz(null=True, default=None)
    #: the answer and its trusted time (never before issue, never after receipt)
    answer = Varchar(length=8, default="")
    confirmed_at = Timestamptz(null=True, default=None)
    phone_at = Timestamptz(null=True, default=None)
    received_at = Timestamptz(null=True, default=None)
    via = Varchar(length=12, default="")
    recorded_by = UUID(null=True, default=None)
    note = Varchar(length=300, default="")
    reason = Varchar(length=300, default="")
    lat = DoublePrecision(null=True, default=None)
    lng = DoublePrecision(null=True, default=None)
    standin_id = UUID(null=True, default=None)
    #: escalation: rounds done, and when the next one is due (NULL: none due)
    rounds = Integer(default=0)
    next_at = Timestamptz(null=True, default=None, index=True)
    seq = BigInt(default=0)


class CallupEvent(Table):
    """A target's timeline: sent, delivered, opened, confirmed, each escalation step."""

    id = UUID(primary_key=True)
    callup_id = UUID(index=True)
    target_id = UUID(null=True, default=None, index=True)
    kind = Varchar(length=16)
    actor_id = UUID(null=True, default=None)
    detail = JSON(default="{}")
    at = Timestamptz(default=TimestamptzNow())


class CapFeedSeen(Table):
    """What the CAP feed poller knows (feeds.py): per feed ("feed:<url>") its ETag and
    Last-Modified for the next conditional GET; per alert linked from a feed ("item:<url>")
    that it was fetched, and how its import went. Each alert is fetched and imported once."""

    key = Varchar(length=600, unique=True)
    etag = Varchar(length=200, default="")
    last_modified = Varchar(length=100, default="")
    #: the last outcome, as the operator reads it: 304, created, refused: <reason>...
    outcome = Varchar(length=300, default="")
    checked_at = Timestamptz(default=TimestamptzNow())
