"""Tip-offs that do not come through the web form: those staff take by the 12350 hotline,
from 12345, from a superior, by letter or at the counter, entered at a desk with their
channel and the time they came in; and what the reporter says once it is resolved (满意 /
不满意, or 未解决, which reopens it)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from server import db
from server.auth.access import BUREAU
from server.auth.service import Viewer
from server.directory import service as directory
from server.directory.kinds import Level, PostKind
from server.errors import DomainError
from server.i18n import N_, gettext
from server.notify.deliveries import Note, send_to
from server.tipoffs.channels import DESK
from server.tipoffs.codes import new_code
from server.tipoffs.fields import Draft
from server.tipoffs.service import Receipt, by_code, event, insert, submitted
from server.tipoffs.tables import TipOff

#: a call entered later than this is a record of the past, not a tip-off to handle
ENTERED_AT_MOST = timedelta(days=90)
#: a phone's or a desk's clock a little ahead is no reason to refuse
CLOCK_SLACK = timedelta(minutes=10)
FEEDBACK_MAX = 500


async def enter(
    viewer: Viewer,
    draft: Draft,
    *,
    channel: str,
    received_at: datetime,
    grid_path: str,
    submission_id: uuid.UUID | None = None,
) -> Receipt:
    """A tip-off taken by phone, letter or visit, entered by staff: in a grid they cover
    (a bureau may leave it to be routed), counted from when it came in."""
    if channel not in {c.value for c in DESK}:
        raise DomainError(N_("Choose how the tip-off came in."))
    now = datetime.now(UTC)
    if not now - ENTERED_AT_MOST <= received_at <= now + CLOCK_SLACK:
        raise DomainError(N_("The time it came in must be within the last 90 days."))
    grid_path = await _grid(viewer, draft, grid_path)
    database = db.current()
    async with database.write():
        await database.serialize("tipoff")
        if submission_id and (known := await submitted(submission_id)):
            return known  # the same form sent twice
        tipoff_id, code = uuid.uuid4(), new_code()
        number = await insert(
            draft,
            now,
            id=tipoff_id,
            code=code,
            submission_id=submission_id,
            area_path=grid_path,
            photos=[],
            source="staff",
            channel=channel,
            entered_by=viewer.person_id,
            received_at=received_at,
            counted_from=received_at,
        )
    return Receipt(tipoff_id, number, code)


async def _grid(viewer: Viewer, draft: Draft, grid_path: str) -> str:
    if grid_path:
        area = await directory.area_by_path(grid_path)
        if area is None or area.level is not Level.grid or not viewer.scope.covers_path(grid_path):
            raise DomainError(N_("Choose a grid in your area."))
        return grid_path
    if draft.lat is not None:
        found = await directory.grid_at(draft.lat, draft.lng)
        if found and viewer.scope.covers_path(found.path):
            return found.path
    if viewer.kinds & BUREAU:
        return ""  # the bureau routes it, as a web tip-off outside every grid
    raise DomainError(N_("Choose the grid it is about."))


async def feedback(code: str, verdict: str, words: str) -> None:
    """The reporter on their tracking page, once resolved: satisfied, unsatisfied, or not
    solved, which reopens it: back to the station's queue, its time limits counted again,
    the reply cleared so that it is resolved only with a new one."""
    row = await by_code(code)
    words = words.strip()
    if row["state"] != "resolved":
        raise DomainError(N_("You can answer once the tip-off is resolved."))
    if verdict not in ("satisfied", "unsatisfied", "unsolved"):
        raise DomainError(N_("Choose an answer."))
    if row["satisfaction"] and verdict != "unsolved":
        raise DomainError(N_("You have answered already: thank you."))
    if verdict == "unsolved" and not 2 <= len(words) <= FEEDBACK_MAX:
        raise DomainError(N_("Say what is still wrong in 2 to 500 characters."))
    if len(words) > FEEDBACK_MAX:
        raise DomainError(N_("Say what is still wrong in 2 to 500 characters."))
    now = datetime.now(UTC)
    database = db.current()
    async with database.write():
        resolved = (TipOff.id == row["id"]) & (TipOff.state == "resolved")
        if verdict == "unsolved":
            await TipOff.update(
                {
                    TipOff.state: "received",
                    TipOff.reply: "",
                    TipOff.resolved_at: None,
                    TipOff.counted_from: now,
                    TipOff.reopened: TipOff.reopened + 1,
                    TipOff.satisfaction: "",
                }
            ).where(resolved)
            await event(row["id"], "reopened", None, {"text": words})
        else:
            await TipOff.update({TipOff.satisfaction: verdict}).where(resolved)
            await event(row["id"], verdict, None, {"text": words} if words else {})
    if verdict == "unsolved":
        await _tell_station(row)


async def _tell_station(row: dict) -> None:
    """The station over the tip-off hears that its reporter says it is not solved (one
    outside every grid waits in the bureau's queue, as when it came in)."""
    if not row["area_path"]:
        return
    note = Note(
        kind="tipoff.reopened",
        title=gettext(N_("A reporter says a tip-off is not solved")),
        body=row["number"],
        url=f"/tipoffs/{row['id']}",
        topic=f"t{row['id'].hex[:20]}reopen",
    )
    for person_id in await directory.holders_over(row["area_path"], [PostKind.station_staff]):
        await send_to(person_id, note)
