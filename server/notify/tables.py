"""Notification tables: subscriptions per device session, messages, and the delivery queue
(one row per message x channel x device), drained by the worker.

A recipient is a person (their id) or a resident following a tip-off without an account (the
tip-off's id): hence `recipient_id`, not a person's id, on the rows that may be either."""

from piccolo.columns import JSON, UUID, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class PushSubscription(Table):
    """A browser's push endpoint and keys, tied to the device session that subscribed."""

    id = UUID(primary_key=True)
    recipient_id = UUID(index=True)
    session_id = UUID(null=True, default=None, index=True)
    endpoint = Text(unique=True)
    #: the browser's ECDH public key (base64url) and auth secret (base64url)
    p256dh = Varchar(length=120)
    auth = Varchar(length=40)
    user_agent = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Message(Table):
    """What one recipient is told: the same message goes out on each channel of their ladder."""

    id = UUID(primary_key=True)
    kind = Varchar(length=30)
    recipient_id = UUID(index=True)
    title = Varchar(length=120)
    body = Varchar(length=500, default="")
    url = Varchar(length=255, default="/")
    #: RFC 8030: very-low, low, normal, high (call-ups)
    urgency = Varchar(length=10, default="normal")
    ttl = Integer(default=86400)
    #: a pending message of the same topic is replaced by this one
    topic = Varchar(length=32, default="")
    #: [{"action": "ack", "title": "收到"}]
    actions = JSON(default="[]")
    created_at = Timestamptz(default=TimestamptzNow())
    #: delivered (a channel accepted it) is on the Delivery rows; these are the person's own
    #: acts: the notification or its page opened (已读), and an action taken (e.g. 收到)
    opened_at = Timestamptz(null=True, default=None)
    acted_at = Timestamptz(null=True, default=None)
    action = Varchar(length=20, default="")


class Delivery(Table):
    """The delivery queue: one attempt to reach one device (or phone number) with one message."""

    id = UUID(primary_key=True)
    message_id = UUID(index=True)
    recipient_id = UUID(index=True)
    #: webpush, sms, voice, log
    channel = Varchar(length=10)
    subscription_id = UUID(null=True, default=None)
    #: a later step of the ladder is skipped if the person has by then "opened" or "acted"
    skip_if = Varchar(length=8, default="")
    #: pending, sent, failed (permanent), gone (subscription expired), replaced (same topic),
    #: skipped (the person had already opened or acted)
    state = Varchar(length=10, default="pending", index=True)
    attempts = Integer(default=0)
    next_at = Timestamptz(default=TimestamptzNow(), index=True)
    #: a worker holds the row until then; past it another worker may take it over
    claimed_until = Timestamptz(null=True, default=None)
    last_status = Integer(default=0)
    last_error = Varchar(length=300, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class GatewayLog(Table):
    """The log adapter's record of SMS and voice calls it would have made (development),
    and replies that came in through the gateway."""

    id = UUID(primary_key=True)
    #: sms, voice, or inbound (a reply received on the gateway's webhook)
    channel = Varchar(length=10)
    person_id = UUID(null=True, default=None, index=True)
    mobile = Varchar(length=20, default="")
    text = Varchar(length=600)
    created_at = Timestamptz(default=TimestamptzNow())


class DeliveryLadder(Table):
    """How a person is reached when it is not the default: a preset name (outbox.PRESETS),
    e.g. texts first for someone whose phone cannot take push."""

    person_id = UUID(unique=True, index=True)
    preset = Varchar(length=20, default="push_first")
