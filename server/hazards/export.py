"""The ledger (台账) as files: .xlsx for staff and CSV for anything else, streamed.

Rows come from the database in keyset batches and go straight out (workbook.py writes the
.xlsx as it streams), so a 100,000-row export holds one batch in memory and its first bytes
leave at once; compression runs in a thread so the event loop keeps serving the phones.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from server import sheets, workbook
from server.auth.service import Viewer
from server.directory import service as directory
from server.hazards import figures, service
from server.hazards.records import Filters, HazardRecord
from server.i18n import N_, gettext
from server.localtime import wall


@dataclass(frozen=True)
class Rows:
    """What a row needs besides its hazard: today (for 逾期) and the names of its areas."""

    today: date
    where: dict[str, directory.Whereabouts] = field(default_factory=dict)

    async def learn(self, batch: list[HazardRecord]) -> None:
        """The town, village and grid names of a batch's areas not known yet (one query)."""
        new = list({h.area_path for h in batch} - self.where.keys())
        if new:
            self.where.update(await directory.whereabouts(new))

    def of(self, hazard: HazardRecord) -> directory.Whereabouts:
        return self.where.get(hazard.area_path) or directory.Whereabouts()


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[HazardRecord, Rows], Any]
    width: int


def _coordinate(value: float | None) -> float | str:
    return round(value, 6) if value is not None else ""


COLUMNS = [
    Column(N_("Number"), lambda h, _: h.code, 18),
    Column(N_("Category"), lambda h, _: h.category_name, 16),
    Column(N_("Level"), lambda h, _: h.level.label, 8),
    Column(N_("Status"), lambda h, _: h.status.label, 10),
    Column(N_("Overdue"), lambda h, r: gettext(N_("Yes")) if h.overdue_on(r.today) else "", 8),
    Column(N_("Town / subdistrict"), lambda h, r: r.of(h).town, 14),
    Column(N_("Village / community"), lambda h, r: r.of(h).village, 14),
    Column(N_("Grid"), lambda h, r: r.of(h).grid, 14),
    Column(N_("Place"), lambda h, _: h.place_name, 20),
    Column(N_("Address"), lambda h, _: h.address, 28),
    Column(N_("Latitude"), lambda h, _: _coordinate(h.lat), 11),
    Column(N_("Longitude"), lambda h, _: _coordinate(h.lng), 11),
    Column(N_("Description"), lambda h, _: h.description, 36),
    Column(N_("Reported by"), lambda h, _: h.reporter_name, 10),
    Column(N_("Reported at"), lambda h, _: wall(h.reported_at), 18),
    Column(N_("Responsible unit"), lambda h, _: h.assignee_unit, 20),
    Column(N_("Responsible person"), lambda h, _: h.assignee_name, 10),
    Column(N_("Deadline"), lambda h, _: h.deadline, 12),
    Column(N_("Closed at"), lambda h, _: wall(h.closed_at), 18),
]


def headers() -> list[str]:
    return [gettext(c.header) for c in COLUMNS]


def row(hazard: HazardRecord, rows: Rows) -> list[Any]:
    return [c.value(hazard, rows) for c in COLUMNS]


def filename(extension: str) -> str:
    return f"{gettext(N_('Hazard ledger'))}-{service.today_local().isoformat()}.{extension}"


def xlsx(viewer: Viewer, filters: Filters) -> AsyncIterator[bytes]:
    """The ledger as .xlsx, streamed: the rows sheet (header frozen, widths, autofilter) and
    a second sheet with the figures of the same rows (通报 needs them beside the list)."""
    today = service.today_local()

    async def rows() -> AsyncIterator[list[list[Any]]]:
        yield [headers()]
        context = Rows(today)
        async for batch in service.ledger_batches(viewer, filters):
            await context.learn(batch)
            yield [row(h, context) for h in batch]

    async def summary() -> AsyncIterator[list[list[Any]]]:
        totals = await figures.totals(viewer, filters, today)
        yield [
            [gettext(N_("Figures")), ""],
            *[
                [gettext(label), value]
                for label, value in (
                    (N_("Reported"), totals.reported),
                    (N_("Accepted"), totals.accepted),
                    (N_("Closed"), totals.closed),
                    (N_("Due"), totals.due),
                    (N_("Overdue"), totals.overdue),
                    (N_("Major hazards open"), totals.major_open),
                )
            ],
            [
                gettext(N_("Rectification rate")),
                workbook.Percent(totals.rate) if totals.rate is not None else "",
            ],
        ]

    return workbook.stream(
        [
            workbook.Sheet(gettext(N_("Hazard ledger")), [c.width for c in COLUMNS], rows()),
            workbook.Sheet(gettext(N_("Figures")), [16, 12], summary(), filtered=False),
        ]
    )


async def csv_chunks(viewer: Viewer, filters: Filters) -> AsyncIterator[bytes]:
    """UTF-8 with a BOM, so that Excel on a Chinese Windows opens it without mojibake."""
    out = io.StringIO()
    writer = sheets.Writer(out)
    writer.writerow(headers())
    yield ("\ufeff" + out.getvalue()).encode()
    context = Rows(service.today_local())
    async for batch in service.ledger_batches(viewer, filters):
        await context.learn(batch)
        out.seek(0)
        out.truncate()
        for hazard in batch:
            writer.writerow(sheets.csv_text(v) for v in row(hazard, context))
        yield out.getvalue().encode()
