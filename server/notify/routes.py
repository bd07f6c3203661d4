"""Push subscriptions for this device, the key pages need, and what a person did with a
notification (opened it, took its action)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.channels import ChannelsPlugin
from litestar.exceptions import NotAuthorizedException, ValidationException
from litestar.params import FromPath
from litestar.response import Redirect, ServerSentEvent, ServerSentEventMessage, Template

from server.auth.access import PUBLIC, SIGNED_IN, allow, viewer_of
from server.errors import Forbidden, NotFound
from server.i18n import N_
from server.notify import gateway, live, service
from server.notify.tables import Message
from server.syncing.forms import envelope
from server.syncing.service import submit
from server.web.forms import require_json, safe_next
from server.web.render import render
from server.web.streams import until_stopping


class Keys(msgspec.Struct):
    p256dh: str
    auth: str


class InboundReply(msgspec.Struct):
    sender: str = msgspec.field(name="from")
    text: str = ""


class SubscriptionBody(msgspec.Struct):
    endpoint: str
    keys: Keys


@get("/notify/key", opt=allow(PUBLIC))  # a public key: residents subscribe to their tip-offs
async def vapid_key(request: Request) -> dict[str, str]:
    return {"publicKey": service.application_server_key(request.app.state.settings)}


@post("/notify/subscriptions", opt=allow(SIGNED_IN), status_code=200, exclude_from_csrf=True)
async def subscribe(request: Request) -> dict[str, Any]:
    """JSON only, like the outbox's routes: a cross-site page cannot send it (no CORS)."""
    await service.subscribe(
        viewer_of(request),
        await read_subscription(request),
        request.app.state.settings.push_hosts,
        request.headers.get("user-agent", ""),
    )
    return {"subscribed": True}


async def read_subscription(request: Request) -> service.NewSubscription:
    """A browser's PushSubscription.toJSON() posted as JSON (never a form: no CSRF token is
    needed because a cross-site page cannot send JSON without CORS)."""
    require_json(request)
    try:
        body = msgspec.json.decode(await request.body(), type=SubscriptionBody)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ValidationException("not a push subscription") from exc
    return service.NewSubscription(body.endpoint, body.keys.p256dh, body.keys.auth)


@post("/notify/subscriptions/remove", opt=allow(SIGNED_IN), status_code=200, exclude_from_csrf=True)
async def unsubscribe(request: Request) -> dict[str, Any]:
    require_json(request)
    await service.unsubscribe(viewer_of(request))
    return {"subscribed": False}


@post(
    "/notify/messages/{message_id:uuid}/{event:str}",
    opt=allow(SIGNED_IN),
    status_code=200,
    exclude_from_csrf=True,
)
async def message_event(
    request: Request, message_id: FromPath[uuid.UUID], event: FromPath[str]
) -> dict[str, Any]:
    """The service worker says a notification was opened (已读). Only the first time counts;
    a message of someone else is not found. Actions (收到) are mutations (`act_on_message`,
    or the outbox), so that their time is judged like every other phone write."""
    require_json(request)
    if event != "opened":
        raise ValidationException("unknown event")
    return {"recorded": await service.mark_opened(viewer_of(request), message_id)}


@post("/notify/gateway/inbound", opt=allow(PUBLIC), status_code=200, exclude_from_csrf=True)
async def gateway_inbound(request: Request) -> dict[str, Any]:
    """A reply from the SMS/voice gateway ("1 收到"), signed with the shared secret."""
    body = await request.body()
    settings = request.app.state.settings
    if not gateway.verify(
        settings.sms_webhook_secret,
        request.headers.get("x-gridwatch-timestamp", ""),
        body,
        request.headers.get("x-gridwatch-signature", ""),
    ):
        raise NotAuthorizedException("bad signature")
    try:
        reply = msgspec.json.decode(body, type=InboundReply)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ValidationException("expected {from, text}") from exc
    answer = await service.inbound(reply.sender, reply.text)
    return {"received": True, "reply": answer}


@post("/notify/messages/{message_id:uuid}/act", opt=allow(SIGNED_IN), status_code=200)
async def act_on_message(request: Request, message_id: FromPath[uuid.UUID]) -> Redirect:
    """The page's one-tap action (收到): the same mutation the notification's button makes,
    so it is kept on the phone and replayed when there is no network."""
    form = await request.form()
    viewer = viewer_of(request)
    if not await Message.exists().where(
        (Message.id == message_id) & (Message.recipient_id == viewer.person_id)
    ):
        raise NotFound(N_("This message is not yours."))
    raw = envelope(form, viewer, entity="message", op="act", record_id=message_id)
    result = await submit(raw, viewer)
    if not result.accepted:
        raise Forbidden(result.reason)
    return Redirect(safe_next(form.get("next"), "/inbox"), status_code=303)


LIVE_PATH = "/notify/live"


@get(LIVE_PATH, opt=allow(SIGNED_IN))
async def live_stream(request: Request) -> ServerSentEvent:
    """What is sent to this person, as it happens, for the pages they have open."""
    viewer = viewer_of(request)
    channels: ChannelsPlugin = request.app.plugins.get(ChannelsPlugin)

    async def events() -> AsyncIterator[ServerSentEventMessage]:
        yield ServerSentEventMessage(event="ready", data="{}")
        async with channels.start_subscription([live.channel(viewer.person_id)]) as sub:
            async for data in until_stopping(request.app.state.stopping, sub.iter_events()):
                yield ServerSentEventMessage(event="notice", data=data.decode())

    return ServerSentEvent(events())


@get("/me/notifications", name="notifications", opt=allow(SIGNED_IN))
async def notification_settings(request: Request) -> Template:
    viewer = viewer_of(request)
    return render(
        request,
        "notify/settings.html",
        {"subscribed": await service.subscribed(viewer), "mobile": viewer.mobile},
    )


ROUTES = [
    vapid_key,
    subscribe,
    unsubscribe,
    message_event,
    act_on_message,
    gateway_inbound,
    live_stream,
    notification_settings,
]
