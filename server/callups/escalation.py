"""Escalation (叫应叫醒): silence is chased up the chain until someone answers.

For a target not confirmed when its window ends:
| round | what happens                                                        |
| ----- | ------------------------------------------------------------------- |
| 1     | the target is called again on every channel at once (push, text, call) |
| 2..N  | again, and the post's superior and the duty officer are told         |
| > N   | nothing more is sent; the target stays on the board as unanswered    |
Each round waits one window. Every step is on the target's timeline. Only a confirmation
stops it (answers.confirm clears `next_at`); a closed call-up escalates no more.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server import db
from server.callups import service, trail
from server.callups.records import CallupRecord
from server.callups.tables import Callup, CallupTarget
from server.callups.targets import duty_officers_over
from server.directory.tables import Area, Person
from server.i18n import N_, gettext
from server.notify.outbox import Note, send_many, send_to

EVERY_CHANNEL = ("webpush", "sms", "voice")
BATCH = 500


async def escalate(now: datetime | None = None) -> int:
    """One pass of the worker (every few seconds): act on targets whose window ended.
    Returns how many targets were escalated."""
    now = now or datetime.now(UTC)
    done = 0
    while True:
        due = await (
            CallupTarget.select()
            .where(
                (CallupTarget.next_at <= now)
                & CallupTarget.confirmed_at.is_null()
                & CallupTarget.callup_id.is_in(
                    Callup.select(Callup.id).where(Callup.state == "sent")
                )
            )
            .order_by(CallupTarget.next_at)
            .limit(BATCH)
        )
        if not due:
            return done
        callups = {
            r["id"]: CallupRecord.from_row(r)
            for r in await Callup.select().where(Callup.id.is_in([t["callup_id"] for t in due]))
        }
        for target in due:
            await _step(callups[target["callup_id"]], target, now)
        done += len(due)


async def _step(callup: CallupRecord, target: dict, now: datetime) -> None:
    round_ = target["rounds"] + 1
    last = round_ > callup.max_rounds
    database = db.current()
    async with database.write():
        # claim the step: another worker that read the same row finds it moved on
        claimed = (
            await CallupTarget.update(
                {
                    CallupTarget.rounds: round_,
                    CallupTarget.next_at: None
                    if last
                    else now + timedelta(minutes=callup.window_minutes),
                }
            )
            .where(
                (CallupTarget.id == target["id"])
                & (CallupTarget.rounds == target["rounds"])
                & CallupTarget.confirmed_at.is_null()
            )
            .returning(CallupTarget.id)
        )
        if not claimed:
            return
        if last:
            await trail.event(
                callup.id, target["id"], "unanswered", None, {"rounds": round_ - 1}, now
            )
            await trail.touch(callup.id)
            return
        await send_many([target["person_id"]], service.note_for(callup, again=True), EVERY_CHANNEL)
        told = []
        if round_ >= 2:
            told = await _up_the_chain(callup, target)
        await trail.event(
            callup.id,
            target["id"],
            "renotified" if round_ == 1 else "escalated",
            None,
            {"round": round_, "told": [str(p) for p in told]},
            now,
        )
        await trail.touch(callup.id)


async def _up_the_chain(callup: CallupRecord, target: dict) -> list:
    """Tell the superior and the duty officer who is silent, with a link to call them."""
    people = [target["superior_id"]] if target["superior_id"] else []
    people += await duty_officers_over(target["area_path"] or "/")
    people = [p for p in dict.fromkeys(people) if p != target["person_id"]]
    if not people:
        return []
    person = (
        await Person.select(Person.name, Person.mobile)
        .where(Person.id == target["person_id"])
        .first()
    )
    area = await Area.select(Area.name).where(Area.path == target["area_path"]).first()
    prefix = gettext(N_("[Drill] ")) if callup.drill else ""
    note = Note(
        kind="callup_escalation",
        title=prefix
        + gettext(
            N_("Not confirmed: %(name)s (%(area)s)"),
            name=person["name"] if person else "?",
            area=area["name"] if area else "",
        ),
        body=gettext(
            N_("%(code)s %(title)s: no confirmation after %(rounds)s windows. Call %(mobile)s."),
            code=callup.code,
            title=callup.title,
            rounds=target["rounds"] + 1,
            mobile=person["mobile"] if person else "",
        ),
        url=f"/callups/targets/{target['id']}",
        urgency="high",
        ttl=3600,
    )
    for person_id in people:
        await send_to(person_id, note)
    return people
