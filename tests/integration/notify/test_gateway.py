"""The SMS/voice gateway: the webhook adapter's signed requests, signed replies coming in,
and the ladder: a text only if the push was not opened in time, a call only if no action."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.directory.service import person_by_mobile
from server.notify import gateway
from server.notify.deliveries import URGENT, Note, drain, send_to
from server.notify.service import keys_for
from server.notify.tables import Delivery, GatewayLog, Message
from server.notify.vapid import Signer
from server.notify.webpush import PushSender
from server.settings import Settings
from tests.pushservice import HOSTS

pytestmark = pytest.mark.db

SECRET = "gateway-secret-for-tests"


@pytest.fixture
async def provider():
    """A stand-in for the SMS provider: checks the signature, records what it was asked."""
    calls: list[dict] = []

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        ok = gateway.verify(
            SECRET,
            request.headers["X-Gridwatch-Timestamp"],
            body,
            request.headers["X-Gridwatch-Signature"],
        )
        calls.append({"signed": ok, **json.loads(body)})
        return web.json_response({"ok": True}, status=200 if ok else 401)

    app = web.Application()
    app.router.add_post("/sms", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/sms", calls
    await runner.cleanup()


@pytest.fixture
async def sender(settings: Settings):
    vapid = keys_for(str(settings.vapid_private_key_path))
    push = PushSender(Signer(vapid, "mailto:ops@localhost"), hosts=HOSTS)
    yield push
    await push.close()


async def test_the_ladder_texts_and_calls_only_when_needed(demo, provider, sender) -> None:
    url, calls = provider
    hook = gateway.WebhookGateway(url, SECRET)
    person = (await person_by_mobile("13900000007")).id
    start = datetime.now(UTC)
    ignored = await send_to(person, Note(kind="callup", title="叫应一", urgency="high"), URGENT)
    opened = await send_to(person, Note(kind="callup", title="叫应二", urgency="high"), URGENT)

    assert (await drain(sender, gateway=hook, now=start)).sent == 0  # no push devices; sms later
    await Message.update({Message.opened_at: start}).where(Message.id == opened)
    await drain(sender, gateway=hook, now=start + timedelta(seconds=121))
    assert [c["text"] for c in calls] == ["叫应一"]  # the opened one is not texted
    assert calls[0]["signed"] and calls[0]["to"] == "13900000007" and calls[0]["channel"] == "sms"
    await drain(sender, gateway=hook, now=start + timedelta(seconds=301))
    assert sorted((c["channel"], c["text"]) for c in calls) == [
        ("sms", "叫应一"),
        ("voice", "叫应一"),
        ("voice", "叫应二"),  # opened, but nobody confirmed: the call still goes
    ]
    states = {
        (r["message_id"], r["channel"]): r["state"]
        for r in await Delivery.select(Delivery.message_id, Delivery.channel, Delivery.state)
    }
    assert states[(opened, "sms")] == "skipped" and states[(ignored, "sms")] == "sent"
    await hook.close()


async def test_signed_replies_come_in_and_others_are_refused(app: Litestar, demo) -> None:
    app.state.settings = Settings(**{**app.state.settings.__dict__, "sms_webhook_secret": SECRET})
    body = json.dumps({"from": "13900000007", "text": "1 收到"}, ensure_ascii=False).encode()
    now = str(int(time.time()))
    async with AsyncTestClient(app=app) as client:

        async def post(timestamp: str, signature: str):
            return await client.post(
                "/notify/gateway/inbound",
                content=body,
                headers={
                    "content-type": "application/json",
                    "x-gridwatch-timestamp": timestamp,
                    "x-gridwatch-signature": signature,
                },
            )

        assert (await post(now, "0" * 64)).status_code == 401
        old = str(int(time.time()) - 3600)
        assert (await post(old, gateway.sign(SECRET, old, body))).status_code == 401  # replayed
        assert (await post(now, gateway.sign(SECRET, now, body))).status_code == 200
    [row] = await GatewayLog.select()
    person = await person_by_mobile("13900000007")
    assert row["channel"] == "inbound" and row["text"] == "1 收到" and row["person_id"] == person.id


async def test_a_person_reached_by_text_first(app: Litestar, demo) -> None:
    from tests.integration.helpers import csrf_token, log_in

    person = await person_by_mobile("13900000007")
    async with AsyncTestClient(app=app) as admin:
        assert (await log_in(admin, "13900000001")).status_code == 303
        token = await csrf_token(admin)
        bad = await admin.post(
            f"/admin/people/{person.id}/ladder",
            data={"preset": "pigeon"},
            headers={"x-csrftoken": token},
            follow_redirects=False,
        )
        assert bad.status_code == 400
        done = await admin.post(
            f"/admin/people/{person.id}/ladder",
            data={"preset": "sms_first"},
            headers={"x-csrftoken": token},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert 'value="sms_first" selected' in (await admin.get(f"/admin/people/{person.id}")).text
    await send_to(person.id, Note(kind="callup", title="叫应", urgency="high"))
    await send_to(person.id, Note(kind="hazard.assign", title="交办"))
    rows = await Delivery.select(Delivery.channel, Delivery.skip_if).order_by(Delivery.created_at)
    assert sorted((r["channel"], r["skip_if"]) for r in rows) == [
        ("sms", ""),
        ("sms", ""),
        ("voice", "acted"),
    ]
