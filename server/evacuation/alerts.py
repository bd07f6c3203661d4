"""Who is told what during an evacuation: a refusal tells the station; a special-needs
household left unmarked is chased (escalation.py) with these notes."""

from __future__ import annotations

import uuid
from typing import Any

from server.directory.kinds import PostKind
from server.directory.service import holders_at, holders_over
from server.evacuation.records import EvacRecord
from server.i18n import N_, gettext
from server.notify.deliveries import Note, send_to

ROW_URL = "/evacuations/rows/{}"
MINE_URL = "/evacuations/{}/mine"


def _prefix(evacuation: EvacRecord) -> str:
    return gettext(N_("[Drill] ")) if evacuation.drill else ""


async def station_of(path: str) -> list[uuid.UUID]:
    return await holders_over(path, [PostKind.station_staff])


async def village_chiefs(village_path: str) -> list[uuid.UUID]:
    """The village's own flood-duty administrative persons (村防汛行政责任人)."""
    return await holders_at(village_path, PostKind.flood_admin)


async def refused_many(refusals: list[tuple[EvacRecord, dict[str, Any], str]]) -> None:
    """Households refuse to move: the station hears of each at once, with the reason (a
    batch's stations looked up once for each village)."""
    stations: dict[str, list[uuid.UUID]] = {}
    for evacuation, row, reason in refusals:
        village = row["village_path"] or row["area_path"]
        if village not in stations:
            stations[village] = await station_of(village)
        for person in stations[village]:
            await send_to(person, refused_note(evacuation, row, reason))


def refused_note(evacuation: EvacRecord, row: dict[str, Any], reason: str) -> Note:
    return Note(
        kind="evacuation",
        title=_prefix(evacuation)
        + gettext(N_("Refused to move: %(title)s"), title=evacuation.title),
        body=reason,
        url=ROW_URL.format(row["id"]),
        urgency="high",
        topic=f"evac-refused-{str(row['id'])[:8]}",
    )


def keeper_note(evacuation: EvacRecord, count: int) -> Note:
    return Note(
        kind="evacuation",
        title=_prefix(evacuation)
        + gettext(N_("Move your special-needs households now: %(title)s"), title=evacuation.title),
        body=gettext(N_("%(n)s special-needs households are not marked as moved."), n=count),
        url=MINE_URL.format(evacuation.id),
        urgency="high",
        topic=f"evac-{evacuation.code}",
    )


def chief_note(evacuation: EvacRecord, names: list[str], count: int) -> Note:
    return Note(
        kind="evacuation",
        title=_prefix(evacuation)
        + gettext(N_("Special-needs people not moved: %(title)s"), title=evacuation.title),
        body=gettext(
            N_("%(n)s households after two windows: %(names)s"), n=count, names="、".join(names)
        ),
        url=MINE_URL.format(evacuation.id),
        urgency="high",
        topic=f"evac-{evacuation.code}-up",
    )
