"""The after-action report of an evacuation as a laid-out .xlsx, streamed: the figures by
village (a total line that is the sum of the lines above it) and every household's line,
read in keyset batches (their marks, shelter, check-in and check-out)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from server import workbook
from server.evacuation import planning
from server.evacuation.board import Board, Tally
from server.evacuation.kinds import Mark
from server.evacuation.records import EvacRecord
from server.evacuation.service import with_households
from server.evacuation.tables import EvacRow
from server.i18n import N_, gettext
from server.localtime import wall

BATCH = 2000
FIGURE_WIDTHS = [18, 10, 10, 10, 12, 12, 14, 10, 12]
ROW_WIDTHS = [18, 16, 18, 10, 8, 8, 14, 14, 8, 24, 18, 18, 18]


def figure_head() -> list[str]:
    return [
        gettext(N_("Village")),
        gettext(N_("Households")),
        gettext(N_("People")),
        gettext(N_("Moved")),
        gettext(N_("Moved by themselves")),
        gettext(N_("Refused to move")),
        gettext(N_("Not at home / unreachable")),
        gettext(N_("To move")),
        gettext(N_("People out of danger")),
    ]


#: the figures sheet's columns after the name, in figure_head()'s order
FIGURES = ("households", "people", "moved", "self_moved", "refused", "unreached", "to_move",
           "people_out")  # fmt: skip


def figure_row(name: str, t: Tally) -> list:
    return [name, *(getattr(t, f) for f in FIGURES)]


async def _rows(evacuation: EvacRecord, zone: ZoneInfo, names: dict) -> AsyncIterator[list]:
    zones = await planning.zones_by_id(evacuation.zone_ids)
    where = (EvacRow.evacuation_id == evacuation.id) & EvacRow.removed.eq(False)
    shelter_names: dict = {}
    clause = where
    while True:
        rows = await EvacRow.select().where(clause).order_by(EvacRow.id).limit(BATCH)
        if not rows:
            return
        wanted = {r[k] for r in rows for k in ("shelter_id", "checkin_shelter_id") if r[k]}
        missing = [s for s in wanted if s not in shelter_names]
        shelter_names |= {k: v["name"] for k, v in (await planning.shelters_by_id(missing)).items()}
        yield [
            [
                names.get(r.village_path, ""),
                zones[r.zone_id].name if r.zone_id in zones else "",
                r.code,
                r.head_name,
                r.people,
                gettext(N_("Yes")) if r.special else "",
                Mark(r.mark).label if r.mark else gettext(N_("To move")),
                shelter_names.get(r.shelter_id, "")
                if r.destination == "shelter"
                else gettext(N_("Relatives and friends"))
                if r.destination == "relatives"
                else "",
                r.heads,
                r.reason,
                wall(r.marked_at, zone),
                wall(r.checked_in_at, zone),
                wall(r.checked_out_at, zone),
            ]
            for r in await with_households(rows)
        ]
        clause = where & (EvacRow.id > rows[-1]["id"])


def row_head() -> list[str]:
    return [
        gettext(N_("Village")),
        gettext(N_("Danger zone")),
        gettext(N_("Household code")),
        gettext(N_("Head of household")),
        gettext(N_("People")),
        gettext(N_("Special needs")),
        gettext(N_("Mark")),
        gettext(N_("Went to")),
        gettext(N_("Head count")),
        gettext(N_("Reason")),
        gettext(N_("Marked at")),
        gettext(N_("Checked in")),
        gettext(N_("Checked out")),
    ]


def report_xlsx(evacuation: EvacRecord, b: Board, zone: str) -> AsyncIterator[bytes]:
    async def about() -> AsyncIterator[list[list]]:
        yield [
            [gettext(N_("Evacuation")), evacuation.code],
            [gettext(N_("Title")), evacuation.title],
            [gettext(N_("Drill")), gettext(N_("Yes")) if evacuation.drill else gettext(N_("No"))],
            [gettext(N_("Started")), wall(evacuation.started_at, ZoneInfo(zone))],
            [gettext(N_("State")), evacuation.state.label],
        ]

    async def figures() -> AsyncIterator[list[list]]:
        lines = [figure_row(name, t) for _path, name, t in b.villages]
        yield [figure_head(), *lines, figure_row(gettext(N_("Total")), b.total)]

    async def households() -> AsyncIterator[list[list]]:
        yield [row_head()]
        async for batch in _rows(evacuation, ZoneInfo(zone), b.names):
            yield batch

    return workbook.stream(
        [
            workbook.Sheet(gettext(N_("Summary")), [16, 40], about(), filtered=False),
            workbook.Sheet(gettext(N_("By village")), FIGURE_WIDTHS, figures(), filtered=False),
            workbook.Sheet(gettext(N_("Households")), ROW_WIDTHS, households()),
        ]
    )
