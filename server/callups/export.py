"""The after-action report of a call-up as a laid-out .xlsx (figures overall, by town, by
village, and every target's line: who, where, answer, when, how, how long) and as CSV (the
targets' lines), both streamed."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from piccolo.querystring import QueryString

from server import sheets, workbook
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


def _span_rows(spans: list[Span], everyone: str = "") -> list[list]:
    """A figures row per span: the share within the window as a percentage cell."""
    return [
        [
            s.name or everyone,
            s.targets,
            s.confirmed,
            workbook.Percent(s.percent_in_window / 100),
            _minutes(s.median_s),
            _minutes(s.p90_s),
        ]
        for s in spans
    ]


def _span_head() -> list[str]:
    return [
        gettext(N_("Area")),
        gettext(N_("Targets")),
        gettext(N_("Confirmed")),
        gettext(N_("Confirmed within the window")),
        gettext(N_("Median minutes to confirm")),
        gettext(N_("90th percentile minutes")),
    ]


def _target_head() -> list[str]:
    return [
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
    ]


SPAN_WIDTHS = [18, 10, 10, 14, 14, 14]
TARGET_WIDTHS = [12, 14, 16, 10, 10, 18, 10, 12, 10, 24]


async def _target_batches(callup: CallupRecord, zone: ZoneInfo) -> AsyncIterator[list[list]]:
    """Every target's line, in keyset batches (an offset would rescan what came before)."""
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
            return
        seconds = {r["id"]: r["seconds"] for r in rows}
        places = await directory.area_names([r["area_path"] for r in rows])
        yield [
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
            for t in await with_people(rows)
        ]
        where = (CallupTarget.callup_id == callup.id) & (CallupTarget.id > rows[-1]["id"])


def report_xlsx(report: Report, zone: str) -> AsyncIterator[bytes]:
    """The after-action report as a laid-out .xlsx, streamed: the call-up, its figures
    overall, by town and by village (shares as percentages), and every target's line; each
    sheet with its header frozen, column widths and a filter."""
    c = report.callup
    everyone = gettext(N_("All"))

    async def about() -> AsyncIterator[list[list]]:
        yield [
            [gettext(N_("Call-up")), c.code],
            [gettext(N_("Title")), c.title],
            [gettext(N_("Drill")), gettext(N_("Yes")) if c.drill else gettext(N_("No"))],
            [gettext(N_("Window (minutes)")), c.window_minutes],
        ]

    async def spans(rows: list[Span]) -> AsyncIterator[list[list]]:
        yield [_span_head(), *_span_rows(rows, everyone)]

    async def targets() -> AsyncIterator[list[list]]:
        yield [_target_head()]
        async for batch in _target_batches(c, ZoneInfo(zone)):
            yield batch

    return workbook.stream(
        [
            workbook.Sheet(gettext(N_("Summary")), [16, 40], about(), filtered=False),
            workbook.Sheet(gettext(N_("All")), SPAN_WIDTHS, spans([report.whole])),
            workbook.Sheet(gettext(N_("By town")), SPAN_WIDTHS, spans(report.towns)),
            workbook.Sheet(gettext(N_("By village")), SPAN_WIDTHS, spans(report.villages)),
            workbook.Sheet(gettext(N_("People called")), TARGET_WIDTHS, targets()),
        ]
    )


async def report_csv(report: Report, zone: str) -> AsyncIterator[bytes]:
    """Every target's line as CSV (UTF-8 with a BOM, so that Excel on a Chinese Windows
    opens it as it is), the same columns as the .xlsx's Targets sheet."""
    out = io.StringIO()
    writer = sheets.Writer(out)
    writer.writerow(_target_head())
    yield ("\ufeff" + out.getvalue()).encode()
    async for batch in _target_batches(report.callup, ZoneInfo(zone)):
        out.seek(0)
        out.truncate()
        for line in batch:
            writer.writerow(sheets.csv_text(v) for v in line)
        yield out.getvalue().encode()
