"""The after-action report of a call-up as .xlsx: figures overall, by town, by village,
and every target's line (who, where, answer, when, how, how long)."""

from __future__ import annotations

import asyncio
import io
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from piccolo.querystring import QueryString

from server import sheets
from server.callups.board import Report, Span, seconds_to_confirm
from server.callups.records import CallupRecord
from server.callups.service import with_people
from server.callups.tables import CallupTarget
from server.directory import service as directory
from server.i18n import N_, gettext
from server.localtime import wall

BATCH = 5000


def _minutes(seconds: float | None) -> float | None:
    return round(seconds / 60, 1) if seconds is not None else None


def _span_rows(spans: list[Span]) -> list[list]:
    return [
        [
            s.name,
            s.targets,
            s.confirmed,
            s.percent_in_window / 100,
            _minutes(s.median_s),
            _minutes(s.p90_s),
        ]
        for s in spans
    ]


async def report_xlsx(report: Report, zone: str) -> bytes:
    callup = report.callup
    lines = await _target_lines(callup, ZoneInfo(zone))
    return await asyncio.to_thread(_build, report, lines)


async def _target_lines(callup: CallupRecord, zone: ZoneInfo) -> list[list]:
    """Every target's line, read in keyset batches (an offset would rescan what came before)."""
    lines: list[list] = []
    where = CallupTarget.callup_id == callup.id
    while True:
        rows = (
            await CallupTarget.select(
                *CallupTarget.all_columns(),
                QueryString("{}", seconds_to_confirm(), alias="seconds"),
            )
            .where(where)
            .order_by(CallupTarget.id)
            .limit(BATCH)
        )
        if not rows:
            return lines
        seconds = {r["id"]: r["seconds"] for r in rows}
        places = await directory.area_names([r["area_path"] for r in rows])
        for t in await with_people(rows):
            lines.append(
                [
                    t.name,
                    t.mobile,
                    places.get(t.area_path, ""),
                    t.state.label,
                    t.answer.label if t.answer else "",
                    wall(t.confirmed_at, zone),
                    t.via.label if t.via else "",
                    _minutes(float(seconds[t.id]) if seconds[t.id] is not None else None),
                    t.rounds,
                    t.reason,
                ]
            )
        where = (CallupTarget.callup_id == callup.id) & (CallupTarget.id > rows[-1]["id"])


def _build(report: Report, lines: list[list]) -> bytes:
    book = Workbook(write_only=True)
    head = [
        gettext(N_("Area")),
        gettext(N_("Targets")),
        gettext(N_("Confirmed")),
        gettext(N_("Confirmed within the window")),
        gettext(N_("Median minutes to confirm")),
        gettext(N_("90th percentile minutes")),
    ]
    summary = book.create_sheet(gettext(N_("Summary")))
    c = report.callup
    sheets.append(summary, [gettext(N_("Call-up")), c.code, c.title])
    sheets.append(
        summary, [gettext(N_("Drill")), gettext(N_("Yes")) if c.drill else gettext(N_("No"))]
    )
    sheets.append(summary, [gettext(N_("Window (minutes)")), c.window_minutes])
    sheets.append(summary, head)
    sheets.append(summary, [gettext(N_("All")), *_span_rows([report.whole])[0][1:]])
    for name, spans in ((N_("By town"), report.towns), (N_("By village"), report.villages)):
        sheet = book.create_sheet(gettext(name))
        sheets.append(sheet, head)
        for row in _span_rows(spans):
            sheets.append(sheet, row)
    targets = book.create_sheet(gettext(N_("Targets")))
    sheets.append(
        targets,
        [
            gettext(N_("Full name")),
            gettext(N_("Mobile")),
            gettext(N_("Area")),
            gettext(N_("State")),
            gettext(N_("Answer")),
            gettext(N_("Confirmed at")),
            gettext(N_("How")),
            gettext(N_("Minutes to confirm")),
            gettext(N_("Escalation rounds")),
            gettext(N_("Reason")),
        ],
    )
    for line in lines:
        sheets.append(targets, line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
