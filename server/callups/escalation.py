"""Escalation (叫应叫醒): silence is chased up the chain until someone answers.

For a target not confirmed when its window ends:
| round | what happens                                                            |
| ----- | ----------------------------------------------------------------------- |
| 1     | the target is called again on every channel at once (push, text, call)  |
| 2..N  | again, and the post's superior and the duty officer are told            |
| > N   | nothing more is sent; the target stays on the board as unanswered       |
Each round waits one window. Every step is on the target's timeline. Only a confirmation
stops it (answers.confirm clears `next_at`); a closed call-up escalates no more.

Work is done in bulk, a call-up's due targets at a time (a city-wide call-up may have tens of
thousands silent when a window ends): one claim, one fan-out of the repeat call, one note per
superior and per duty officer naming whom they must call (not one per silent target).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from server import db, localtime
from server.callups import service, trail
from server.callups.records import CallupRecord
from server.callups.tables import Callup, CallupEvent, CallupTarget
from server.directory import service as directory
from server.directory.holders import duty_officers_for
from server.i18n import N_, gettext
from server.notify.deliveries import Note, send_many, send_to
from sync.batch import insert_rows

EVERY_CHANNEL = ("webpush", "sms", "voice")
BATCH = 1000
#: a superior told of more silent people than this gets one note with the count
NAMED = 3
LATE = N_("%(code)s %(title)s: no confirmation after %(rounds)s windows. Call %(mobile)s.")


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
        by_callup: dict[uuid.UUID, list[dict]] = defaultdict(list)
        for target in due:
            by_callup[target["callup_id"]].append(target)
        for row in await Callup.select().where(Callup.id.is_in(list(by_callup))):
            callup = CallupRecord.from_row(row)
            done += await _round(callup, by_callup[callup.id], now)


async def _round(callup: CallupRecord, due: list[dict], now: datetime) -> int:
    database = db.current()
    async with database.write():
        claimed = await _claim(callup, due, now)
        if not claimed:
            return 0
        last = [t for t in claimed if t["rounds"] + 1 > callup.max_rounds]
        again = [t for t in claimed if t["rounds"] + 1 <= callup.max_rounds]
        events = [
            trail.event_row(callup.id, t["id"], "unanswered", None, {"rounds": t["rounds"]}, now)
            for t in last
        ]
        if again:
            people = [t["person_id"] for t in again]
            await send_many(people, service.note_for(callup, again=True), EVERY_CHANNEL)
            chained = [t for t in again if t["rounds"] + 1 >= 2]
            told = await _up_the_chain(callup, chained, now) if chained else {}
            events += [
                trail.event_row(
                    callup.id,
                    t["id"],
                    "renotified" if t["rounds"] == 0 else "escalated",
                    None,
                    {"round": t["rounds"] + 1, "told": [str(p) for p in told.get(t["id"], [])]},
                    now,
                )
                for t in again
            ]
        for at in range(0, len(events), 500):
            await insert_rows(CallupEvent, events[at : at + 500])
        await trail.touch(callup.id)
    return len(claimed)


async def _claim(callup: CallupRecord, due: list[dict], now: datetime) -> list[dict]:
    """Move each target to its next round; a target another worker moved (or that was
    confirmed) meanwhile is not due any more and is left out."""
    ids = [t["id"] for t in due]
    still_due = (
        CallupTarget.id.is_in(ids)
        & (CallupTarget.next_at <= now)
        & CallupTarget.confirmed_at.is_null()
    )
    exhausted = await (
        CallupTarget.update(
            {CallupTarget.rounds: CallupTarget.rounds + 1, CallupTarget.next_at: None}
        )
        .where(still_due & (CallupTarget.rounds >= callup.max_rounds))
        .returning(CallupTarget.id)
    )
    moved = await (
        CallupTarget.update(
            {
                CallupTarget.rounds: CallupTarget.rounds + 1,
                CallupTarget.next_at: now + timedelta(minutes=callup.window_minutes),
            }
        )
        .where(still_due & (CallupTarget.rounds < callup.max_rounds))
        .returning(CallupTarget.id)
    )
    taken = {r["id"] for r in exhausted} | {r["id"] for r in moved}
    return [t for t in due if t["id"] in taken]


async def _up_the_chain(
    callup: CallupRecord, silent: list[dict], now: datetime
) -> dict[uuid.UUID, list]:
    """Tell each silent target's superior and the nearest duty officer (the day's rostered
    officer where a rota names one) whom to call: a note per target while there are few,
    one note with the count when there are many. Returns who was told about each target."""
    people = await directory.contacts([t["person_id"] for t in silent])
    places = await directory.area_names([t["area_path"] for t in silent])
    paths = list({t["area_path"] or "/" for t in silent})
    officers = await duty_officers_for(paths, localtime.today(now))
    told: dict[uuid.UUID, list] = defaultdict(list)
    about: dict[uuid.UUID, list[dict]] = defaultdict(list)
    for t in silent:
        for person_id in dict.fromkeys([t["superior_id"], *officers[t["area_path"] or "/"]]):
            if person_id and person_id != t["person_id"]:
                about[person_id].append(t)
                told[t["id"]].append(person_id)
    for person_id, targets in about.items():
        for note in _notes(callup, targets, people, places):
            await send_to(person_id, note)
    return told


def _notes(
    callup: CallupRecord,
    targets: list[dict],
    people: dict[uuid.UUID, tuple[str, str]],
    places: dict[str, str],
) -> list[Note]:
    prefix = gettext(N_("[Drill] ")) if callup.drill else ""
    if len(targets) > NAMED:
        return [
            Note(
                kind="callup_escalation",
                title=prefix + gettext(N_("Not confirmed: %(n)s people"), n=len(targets)),
                body=gettext(
                    N_("%(code)s %(title)s: %(n)s people have not confirmed. Call them."),
                    code=callup.code,
                    title=callup.title,
                    n=len(targets),
                ),
                url=f"/callups/targets/{targets[0]['id']}",
                urgency="high",
                ttl=3600,
            )
        ]
    notes = []
    for t in targets:
        name, mobile = people.get(t["person_id"], ("?", ""))
        notes.append(
            Note(
                kind="callup_escalation",
                title=prefix
                + gettext(
                    N_("Not confirmed: %(name)s (%(area)s)"),
                    name=name,
                    area=places.get(t["area_path"], ""),
                ),
                body=gettext(
                    LATE,
                    code=callup.code,
                    title=callup.title,
                    rounds=t["rounds"] + 1,
                    mobile=mobile,
                ),
                url=f"/callups/targets/{t['id']}",
                urgency="high",
                ttl=3600,
            )
        )
    return notes
