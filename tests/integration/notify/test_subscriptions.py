"""A phone subscribes through the app; an assignment then reaches it as a push the test push
service can verify and decrypt; opening it is recorded apart from its delivery."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.notify.deliveries import drain
from server.notify.service import keys_for
from server.notify.tables import Message, PushSubscription
from server.notify.vapid import Signer, public_key
from server.notify.webpush import PushSender
from tests.integration.hazards.people import GRID_MEMBER, STATION, hazard_in, send, viewer
from tests.integration.helpers import log_in
from tests.pushservice import HOSTS, PushService, b64

pytestmark = pytest.mark.db


async def test_subscribe_then_an_assignment_is_pushed(app: Litestar, demo, settings) -> None:
    vapid = keys_for(str(settings.vapid_private_key_path))
    push = PushService(public_key(vapid))
    await push.start()
    sender = PushSender(Signer(vapid, settings.vapid_subject), hosts=HOSTS)
    try:
        async with AsyncTestClient(app=app) as phone:
            assert (await log_in(phone, GRID_MEMBER)).status_code == 303
            key = (await phone.get("/notify/key")).json()["publicKey"]
            assert key == public_key(vapid)
            sub = push.subscribe("grid-phone")
            body = {
                "endpoint": push.endpoint("grid-phone"),
                "keys": {"p256dh": sub.p256dh, "auth": b64(sub.auth)},
            }
            assert (await phone.post("/notify/subscriptions", json=body)).status_code == 200
            bad = await phone.post("/notify/subscriptions", json={"endpoint": "x"})
            assert bad.status_code == 400
            page = (await phone.get("/me/notifications")).text
            assert 'data-subscribed="true"' in page

            people = {"grid": await viewer(GRID_MEMBER), "station": await viewer(STATION)}
            record_id = await hazard_in("accepted", people)
            assert (await drain(sender)).sent == 1  # the reporter hears it was accepted
            push.subscribers["grid-phone"].received.clear()
            assigned = await send(
                people["station"],
                "assign",
                record_id,
                {
                    "assignee_unit": "物业",
                    "assignee_id": str(people["grid"].person_id),
                    "measures": "拆除",
                    "deadline": "2030-01-01",
                },
            )
            assert assigned.verdict == "applied"
            assert (await drain(sender)).sent == 1 and push.rejected == []
            [got] = push.subscribers["grid-phone"].received
            assert got["payload"]["title"] == "有隐患交办给您"
            assert got["payload"]["url"] == f"/hazards/{record_id}"

            message_id = got["payload"]["id"]
            opened = await phone.post(f"/notify/messages/{message_id}/opened", json={})
            assert opened.json() == {"recorded": True}
            again = await phone.post(f"/notify/messages/{message_id}/opened", json={})
            assert again.json() == {"recorded": False}  # the first time counts
            row = (
                await Message.select(Message.opened_at, Message.acted_at)
                .where(Message.id == message_id)
                .first()
            )
            assert row["opened_at"] is not None and row["acted_at"] is None

            assert (await phone.post("/notify/subscriptions/remove", json={})).status_code == 200
            assert await PushSubscription.count() == 0
    finally:
        await sender.close()
        await push.stop()


async def test_a_revoked_device_gets_no_more_pushes(app: Litestar, demo) -> None:
    from server.auth import service as auth
    from server.notify.deliveries import Note, send_to
    from server.notify.tables import Delivery

    async with AsyncTestClient(app=app) as phone:
        assert (await log_in(phone, GRID_MEMBER)).status_code == 303
        body = {
            "endpoint": "https://fcm.googleapis.com/fcm/send/abc",
            "keys": {"p256dh": "B" + "x" * 86, "auth": "y" * 22},
        }
        assert (await phone.post("/notify/subscriptions", json=body)).status_code == 200
    grid = await viewer(GRID_MEMBER)
    [row] = await PushSubscription.select()
    await send_to(grid.person_id, Note(kind="t", title="一"), ("webpush",))
    assert await Delivery.count() == 1
    await auth.revoke(row["session_id"])
    await send_to(grid.person_id, Note(kind="t", title="二"), ("webpush",))
    assert await Delivery.count() == 1  # nothing queued for the revoked device


async def test_the_inbox_offers_the_action_one_tap_away(app: Litestar, demo) -> None:
    import re

    from server.notify.deliveries import Note, send_to
    from tests.integration.helpers import csrf_token

    grid = await viewer(GRID_MEMBER)
    message_id = await send_to(
        grid.person_id,
        Note(kind="callup", title="防汛叫应", actions=({"action": "ack", "title": "收到"},)),
    )
    async with AsyncTestClient(app=app) as phone:
        assert (await log_in(phone, GRID_MEMBER)).status_code == 303
        page = (await phone.get("/inbox")).text
        form = page.split(f'id="act-{message_id}"', 1)[1].split("</form>", 1)[0]
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
        assert fields["entity"] == "message" and fields["op"] == "act" and "收到" in form
        token = await csrf_token(phone)
        done = await phone.post(
            f"/notify/messages/{message_id}/act",
            data={**fields, "action": "ack"},
            headers={"x-csrftoken": token},
            follow_redirects=False,
        )
        assert done.status_code == 303
        row = await Message.select(Message.action, Message.acted_at).first()
        assert row["action"] == "ack" and row["acted_at"] is not None
        assert f'id="act-{message_id}"' not in (await phone.get("/inbox")).text

        other = await viewer(STATION)
        theirs = await send_to(
            other.person_id,
            Note(kind="t", title="x", actions=({"action": "ack", "title": "收到"},)),
        )
        refused = await phone.post(
            f"/notify/messages/{theirs}/act",
            data={**fields, "mutation_id": str(__import__("uuid").uuid4()), "action": "ack"},
            headers={"x-csrftoken": token},
            follow_redirects=False,
        )
        assert refused.status_code == 404 and "这不是发给您的消息" in refused.text
        assert (await Message.select(Message.acted_at).where(Message.id == theirs).first())[
            "acted_at"
        ] is None


SSRF = [
    "https://evil.example.com/collect",
    "http://localhost@127.0.0.1:6379/",
    "http://localhost:5432/",
    "https://169.254.169.254/latest/meta-data/",
    "https://fcm.googleapis.com@10.0.0.1/",
]


@pytest.mark.parametrize("endpoint", SSRF)
async def test_no_endpoint_off_the_push_services(app: Litestar, demo, endpoint: str) -> None:
    """Issue 14, finding 4: a subscription naming a host of the sender's choice is refused,
    signed in or anonymously from a tip-off's page, and nothing is kept."""
    from tests.integration.tipoffs.test_flow import send as send_tipoff
    from tests.integration.tipoffs.test_flow import station_grid

    body = {"endpoint": endpoint, "keys": {"p256dh": "B" + "x" * 86, "auth": "y" * 22}}
    async with AsyncTestClient(app=app) as phone:
        assert (await log_in(phone, GRID_MEMBER)).status_code == 303
        answer = await phone.post("/notify/subscriptions", json=body)
        assert answer.status_code in (400, 422), answer.status_code
    _, lat, lng = await station_grid()
    async with AsyncTestClient(app=app) as resident:
        fields = {"category": "fire.ebike", "description": "楼道堆物堵塞通道", "lat": str(lat)}
        sent = await send_tipoff(resident, {**fields, "lng": str(lng)}, [])
        assert sent.status_code == 303, sent.text[:3000]
        code = sent.headers["location"].rsplit("/t/", 1)[1].split("?")[0]
        answer = await resident.post(f"/t/{code}/subscriptions", json=body)
        assert answer.status_code in (400, 422), answer.status_code
    assert await PushSubscription.count() == 0


async def test_the_worker_drops_a_stored_endpoint_off_the_list(demo, settings) -> None:
    """A row stored before PUSH_HOSTS (or after the list shrank) is never posted to: the
    delivery ends as for 410 Gone and the subscription is removed."""
    from server.notify.deliveries import Note, send_to

    push = PushService(public_key(keys_for(str(settings.vapid_private_key_path))))
    await push.start()
    grid = await viewer(GRID_MEMBER)
    sub = push.subscribe("old")
    await PushSubscription.insert(
        PushSubscription(
            recipient_id=grid.person_id,
            endpoint=push.endpoint("old"),
            p256dh=sub.p256dh,
            auth=b64(sub.auth),
        )
    )
    vapid = keys_for(str(settings.vapid_private_key_path))
    sender = PushSender(Signer(vapid, settings.vapid_subject))  # production's list only
    try:
        await send_to(grid.person_id, Note(kind="t", title="一"), ("webpush",))
        await drain(sender)
        assert push.subscribers["old"].received == []
        assert await PushSubscription.count() == 0
    finally:
        await sender.close()
        await push.stop()
