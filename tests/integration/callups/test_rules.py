"""Call-up rules against a real database, on a controlled clock: who is called, when the
chain is woken, which time a confirmation counts at, stand-ins, drills kept apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.callups import board, service
from server.callups.escalation import escalate
from server.callups.tables import CallupEvent, CallupTarget
from server.directory.holders import duty_officers_over
from server.directory.kinds import PostKind
from server.directory.service import area_by_code
from server.directory.tables import Person, Post
from server.errors import StateConflict
from server.notify import service as notify
from server.notify.acks import MessageAdapter
from server.notify.tables import Delivery, Message
from server.syncing import service as syncing
from sync.hlc import HLC
from tests.integration.callups.people import (
    BUREAU,
    DUTY_OFFICER,
    QINGXI,
    answer,
    draft,
    issue,
    person_viewer,
    target,
    targets,
    viewer,
)

pytestmark = pytest.mark.db

#: the call-up is sent at T (two hours ago): every later step is T + something
T = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def events(target_id) -> list[str]:
    rows = await CallupEvent.select(CallupEvent.kind).where(CallupEvent.target_id == target_id)
    return sorted(r["kind"] for r in rows)


async def messages(person_id, kind: str = "callup") -> int:
    return await Message.count().where((Message.recipient_id == person_id) & (Message.kind == kind))


@pytest.fixture
async def bureau(demo):
    return await viewer(BUREAU)


async def test_targets_computed_edited_then_frozen(bureau) -> None:
    town = await area_by_code(QINGXI)
    draft = service.Draft("叫应", "red", [town.path], ["flood_admin", "flood_guarantor"])
    callup_id = await service.create(bureau, draft)
    rows = await targets(callup_id)
    posts = await Post.select(Post.person, Post.kind).where(
        Post.area_path.like(town.path + "%")
        & Post.kind.is_in(["flood_admin", "flood_guarantor"])
        & Post.active.eq(True)
    )
    assert {r["person_id"] for r in rows} == {p["person"] for p in posts}
    assert len(rows) == len({r["person_id"] for r in rows})  # each person once
    assert all(r["town_path"] == town.path for r in rows)
    grid_member = (
        await Post.select(Post.person.mobile.as_alias("mobile"))
        .where((Post.kind == PostKind.grid_member.value) & Post.area_path.like(town.path + "%"))
        .first()
    )
    await service.add_target(bureau, callup_id, grid_member["mobile"])
    with pytest.raises(StateConflict):
        await service.add_target(bureau, callup_id, grid_member["mobile"])
    await service.remove_target(bureau, callup_id, rows[0]["id"])
    assert len(await targets(callup_id)) == len(rows)  # one added, one removed
    sent = await service.send(bureau, callup_id, now=T)
    assert sent == len(rows)
    assert all(r["next_at"] == T + timedelta(minutes=10) for r in await targets(callup_id))
    with pytest.raises(StateConflict):
        await service.remove_target(bureau, callup_id, rows[1]["id"])


async def test_escalation_never_fires_for_a_confirmed_target(bureau) -> None:
    callup_id = await issue(bureau, window=10, rounds=2, now=T)
    first, *silent = await targets(callup_id)
    person = await person_viewer(first["person_id"])
    assert (
        await answer(person, first["id"], {"answer": "received"}, phone_ms=ms(T) + 60_000)
    ).verdict == "applied"

    assert await escalate(T + timedelta(minutes=10, seconds=1)) == len(silent)
    assert await events(first["id"]) == ["confirmed"]
    quiet = silent[0]
    assert await events(quiet["id"]) == ["renotified"]
    assert await messages(quiet["person_id"]) == 2  # called again, on every channel
    again = await Message.select(Message.id).where(Message.recipient_id == quiet["person_id"])
    channels = await Delivery.select(Delivery.channel).where(
        Delivery.message_id.is_in([m["id"] for m in again])
    )
    assert {"sms", "voice"} <= {c["channel"] for c in channels}

    assert await escalate(T + timedelta(minutes=20, seconds=2)) == len(silent)
    assert await events(quiet["id"]) == ["escalated", "renotified"]
    officers = await duty_officers_over(quiet["area_path"])
    told = set(officers) | ({quiet["superior_id"]} if quiet["superior_id"] else set())
    assert quiet["superior_id"] is not None
    for person_id in told:
        assert await messages(person_id, "callup_escalation") >= 1
    # ten silent people: the duty officer gets one note with the count, not ten
    assert len(silent) > 3 and [await messages(o, "callup_escalation") for o in officers] == [1]

    assert await escalate(T + timedelta(minutes=30, seconds=3)) == len(silent)
    assert await events(quiet["id"]) == ["escalated", "renotified", "unanswered"]
    assert (await target(quiet["id"]))["next_at"] is None
    assert await escalate(T + timedelta(hours=5)) == 0  # the chain ends
    assert await events(first["id"]) == ["confirmed"]  # never escalated
    assert await messages(first["person_id"]) == 1


async def test_two_devices_keep_the_first_trusted_time(bureau) -> None:
    callup_id = await issue(bureau, now=T)
    row = (await targets(callup_id))[0]
    person = await person_viewer(row["person_id"])
    later, earlier = T + timedelta(minutes=8), T + timedelta(minutes=3)
    await answer(person, row["id"], {"answer": "on_post"}, phone_ms=ms(later), device=2)
    assert (await target(row["id"]))["confirmed_at"] == later
    # the other phone was offline: its earlier tap arrives second and is the one that counts
    await answer(person, row["id"], {"answer": "received"}, phone_ms=ms(earlier), device=1)
    again = await target(row["id"])
    assert again["confirmed_at"] == earlier
    assert again["answer"] == "on_post"  # the later answer (by HLC) is the answer
    await answer(
        person, row["id"], {"answer": "on_post"}, phone_ms=ms(T + timedelta(minutes=5)), device=3
    )
    assert (await target(row["id"]))["confirmed_at"] == earlier


async def test_a_skewed_phone_clock_cannot_confirm_before_the_callup(bureau) -> None:
    callup_id = await issue(bureau, now=T)
    early, late = (await targets(callup_id))[:2]
    p1, p2 = await person_viewer(early["person_id"]), await person_viewer(late["person_id"])
    await answer(p1, early["id"], {"answer": "received"}, phone_ms=ms(T - timedelta(days=365)))
    stored = await target(early["id"])
    assert stored["confirmed_at"] == T  # clamped to when they were called
    assert stored["phone_at"] == T - timedelta(days=365)  # what the phone said is kept
    before = datetime.now(UTC)
    await answer(p2, late["id"], {"answer": "received"}, phone_ms=ms(T + timedelta(days=365)))
    stored = await target(late["id"])
    assert before - timedelta(seconds=1) <= stored["confirmed_at"] <= datetime.now(UTC)


async def test_a_stand_in_becomes_a_target(bureau) -> None:
    callup_id = await issue(bureau, window=10, now=T)
    row = (await targets(callup_id))[0]
    person = await person_viewer(row["person_id"])
    stand_in = (
        await Post.select(Post.person, Post.person.mobile.as_alias("mobile"))
        .where(Post.kind == PostKind.grid_member.value)
        .first()
    )
    refused = await answer(person, row["id"], {"answer": "unable", "reason": "发烧住院"})
    assert refused.verdict == "rejected" and "stand in" in refused.reason
    refused = await answer(
        person, row["id"], {"answer": "unable", "standin_mobile": stand_in["mobile"]}
    )
    assert refused.verdict == "rejected"
    done = await answer(
        person,
        row["id"],
        {"answer": "unable", "reason": "发烧住院", "standin_mobile": stand_in["mobile"]},
    )
    assert done.verdict == "applied"
    original = await target(row["id"])
    assert original["answer"] == "unable" and original["standin_id"] == stand_in["person"]
    assert original["next_at"] is None
    new = (
        await CallupTarget.select()
        .where(
            (CallupTarget.callup_id == callup_id) & (CallupTarget.person_id == stand_in["person"])
        )
        .first()
    )
    assert new["origin"] == "standin" and new["standin_for"] == row["id"]
    assert new["confirmed_at"] is None and new["next_at"] is not None
    assert await messages(stand_in["person"]) == 1
    assert await escalate(new["next_at"] + timedelta(seconds=1)) >= 1
    assert "renotified" in await events(new["id"])
    assert await events(row["id"]) == ["confirmed"]


async def test_drills_never_count_in_real_figures(bureau) -> None:
    real = await issue(bureau, now=T)
    drill = await issue(bureau, drill=True, now=T)
    for row in await targets(drill):
        await answer(await person_viewer(row["person_id"]), row["id"], {"answer": "received"})
    first = (await targets(real))[0]
    await answer(await person_viewer(first["person_id"]), first["id"], {"answer": "received"})
    listed = await service.listing(bureau)
    real_figures = await board.figures(listed, drill=False)
    drill_figures = await board.figures(listed, drill=True)
    n = len(await targets(real))
    assert (real_figures.callups, real_figures.targets, real_figures.confirmed) == (1, n, 1)
    assert (drill_figures.callups, drill_figures.confirmed) == (1, len(await targets(drill)))
    # counted in the database as a person would count the rows: confirmed within the window
    # (one of them called a minute before confirming, the others two hours before)
    window = (await service.get(bureau, drill)).window_minutes * 60
    quick = (await targets(drill))[0]
    await CallupTarget.update(
        {CallupTarget.called_at: quick["confirmed_at"] - timedelta(minutes=1)}
    ).where(CallupTarget.id == quick["id"])
    drill_figures = await board.figures(await service.listing(bureau), drill=True)
    rows = await targets(drill)
    timely = sum(
        1
        for r in rows
        if r["confirmed_at"] and (r["confirmed_at"] - r["called_at"]).total_seconds() <= window
    )
    assert drill_figures.in_window == timely >= 1 and drill_figures.targets == len(rows)
    drilled = await service.get(bureau, drill)
    assert service.note_for(drilled).title.startswith(("【演练】", "[Drill]"))


async def test_opened_is_not_confirmed_and_the_notification_action_is(bureau) -> None:
    syncing.register(MessageAdapter())
    callup_id = await issue(bureau, now=T)
    row = (await targets(callup_id))[0]
    person = await person_viewer(row["person_id"])
    message = await Message.select().where(Message.recipient_id == row["person_id"]).first()
    assert await notify.mark_opened(person, message["id"])
    opened = await target(row["id"])
    assert opened["opened_at"] is not None and opened["confirmed_at"] is None
    assert opened["next_at"] is not None  # 已读 does not stop escalation
    raw = {
        "mutation_id": "6f1d7c52-7a43-4d0e-9a3e-3c0a6f1e2b11",
        "device_id": "00000000-0000-0000-0000-000000000009",
        "device_seq": 1,
        "entity": "message",
        "record_id": str(message["id"]),
        "op": "act",
        "base_seq": 0,
        "fields": {"action": "ack"},
        "hlc": str(HLC(syncing.now_ms(), 0, "sw")),
        "phone_time": syncing.now_ms(),
    }
    assert (await syncing.submit(raw, person)).verdict == "applied"
    confirmed = await target(row["id"])
    assert confirmed["via"] == "notification" and confirmed["answer"] == "received"
    assert confirmed["next_at"] is None


async def test_a_text_reply_confirms(bureau) -> None:
    callup_id = await issue(bureau, now=T)
    row = (await targets(callup_id))[0]
    mobile = (await Person.select(Person.mobile).where(Person.id == row["person_id"]).first())[
        "mobile"
    ]
    assert await notify.inbound(mobile, "你好") == ""
    assert (await target(row["id"]))["confirmed_at"] is None
    reply = await notify.inbound(mobile, "1 收到")
    assert reply
    stored = await target(row["id"])
    assert stored["via"] == "sms" and stored["answer"] == "received" and stored["confirmed_at"]


async def test_the_duty_officer_records_an_answer_taken_by_phone(bureau) -> None:
    callup_id = await issue(bureau, now=T)
    one, two = (await targets(callup_id))[:2]
    officer = await viewer(DUTY_OFFICER)
    assert (
        await answer(officer, one["id"], {"answer": "on_post", "note": "电话确认"})
    ).verdict == "applied"
    stored = await target(one["id"])
    assert stored["via"] == "officer" and stored["recorded_by"] == officer.person_id
    stranger = await person_viewer(two["person_id"])
    refused = await answer(stranger, one["id"], {"answer": "received"})
    assert refused.verdict == "rejected"  # another target may not answer for them
    other_grid = (
        await Post.select(Post.person.mobile.as_alias("mobile"))
        .where(Post.kind == PostKind.grid_member.value)
        .first()
    )
    outsider = await viewer(other_grid["mobile"])
    assert (await answer(outsider, two["id"], {"answer": "received"})).verdict == "rejected"


async def test_a_send_returns_at_once_and_a_worker_cut_off_midway_leaves_the_rest(
    bureau, monkeypatch
) -> None:
    """Sending records the call-up and queues nothing (the request returns in a moment); a
    worker that dies after queuing some of the messages leaves the rest to the next pass,
    nobody twice, without waiting for an escalation round."""
    town = await area_by_code(QINGXI)
    callup_id = await draft(bureau, town.path)
    await service.send(bureau, callup_id)
    rows = await targets(callup_id)
    assert len(rows) > 2 and (await service.get(bureau, callup_id)).state == "sent"
    assert all(r["called_at"] and r["queued_at"] is None for r in rows)
    assert sum([await messages(r["person_id"]) for r in rows]) == 0
    monkeypatch.setattr(service, "QUEUE_CHUNK", 2)
    real_send_many = service.send_many
    calls = []

    async def dies_on_the_second_chunk(people, note, *args):
        calls.append(len(people))
        if len(calls) == 2:
            raise ConnectionError("the worker was killed")
        return await real_send_many(people, note, *args)

    monkeypatch.setattr(service, "send_many", dies_on_the_second_chunk)
    with pytest.raises(ConnectionError):
        await service.finish_sends()
    rows = await targets(callup_id)
    assert sum(1 for r in rows if r["queued_at"]) == 2  # the first chunk, and no more
    assert sum([await messages(r["person_id"]) for r in rows]) == 2
    monkeypatch.setattr(service, "send_many", real_send_many)
    assert await service.finish_sends() == len(rows) - 2
    for r in await targets(callup_id):
        assert r["queued_at"] is not None and await messages(r["person_id"]) == 1
    assert await service.finish_sends() == 0
