"""A .xlsx written as it streams: its first bytes leave at once and memory stays one batch of
rows, whatever the size (openpyxl writes the whole file before the first byte: 38 s for
53,513 rows, past a proxy's timeout at ~100,000).

The package is the least Excel, WPS and LibreOffice need (Office Open XML, ECMA-376): a
workbook, a styles part and one worksheet per sheet, zipped in streaming mode (each entry
followed by a data descriptor). Text is an inline string, never a formula (see sheets.py);
dates and times are serial numbers with a date format; a header row frozen, column widths
and an autofilter over the rows written.
"""

from __future__ import annotations

import asyncio
import io
import re
import zipfile
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from openpyxl.utils import get_column_letter


@dataclass(frozen=True)
class Percent:
    """A cell shown as a percentage (0.183 -> 18.3%)."""

    value: float


@dataclass
class Sheet:
    name: str
    widths: list[int]
    #: batches of rows; the first row of the first batch is the header (bold, frozen)
    batches: AsyncIterator[list[list[Any]]]
    filtered: bool = True


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS = (
    f'xmlns="{_MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: control characters XML 1.0 does not allow (a phone's text may carry them)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = datetime(1899, 12, 30)
# cell styles (cellXfs below): 1 date, 2 date and time, 3 percent, 4 header
_DATE, _TIME, _PERCENT, _HEADER = 1, 2, 3, 4
STYLES = (
    _HEAD + f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/>'
    '<numFmt numFmtId="166" formatCode="0.0%"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _cell(ref: str, value: Any, header: bool) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, Percent):
        return f'<c r="{ref}" s="{_PERCENT}"><v>{value.value!r}</v></c>'
    if isinstance(value, datetime):
        days = (value.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{_TIME}"><v>{days!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{_DATE}"><v>{(value - _EPOCH.date()).days}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    text = escape(_ILLEGAL.sub("", str(value)))[:32767]
    style = f' s="{_HEADER}"' if header else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def rows_xml(first: int, rows: Iterable[list[Any]], letters: list[str]) -> str:
    """`<row>` elements from row number `first` (1 is the header)."""
    out = []
    for n, values in enumerate(rows, start=first):
        cells = "".join(
            _cell(f"{letters[i]}{n}", v, n == 1) for i, v in enumerate(values) if i < len(letters)
        )
        out.append(f'<row r="{n}">{cells}</row>')
    return "".join(out)


class _Sink(io.RawIOBase):
    """Where the zip is written: what arrived since the last `take` (not seekable, so the
    zip writes each entry's sizes after its data)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _sheet_start(sheet: Sheet) -> str:
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
        for i, w in enumerate(sheet.widths, start=1)
    )
    return (
        f'{_HEAD}<worksheet {_NS}><sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
    )


async def stream(sheets: list[Sheet]) -> AsyncIterator[bytes]:
    """The .xlsx of these sheets, a piece per batch of rows."""
    sink = _Sink()
    book = zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ranges: list[str] = []
    for index, sheet in enumerate(sheets, start=1):
        letters = [get_column_letter(i) for i in range(1, len(sheet.widths) + 1)]
        entry = book.open(f"xl/worksheets/sheet{index}.xml", "w", force_zip64=True)
        entry.write(_sheet_start(sheet).encode())
        yield sink.take()  # the first bytes go before any row is read
        written = 0
        async for batch in sheet.batches:
            xml = rows_xml(written + 1, batch, letters)
            await asyncio.to_thread(entry.write, xml.encode())
            written += len(batch)
            yield sink.take()
        last = f"{letters[-1]}{max(written, 1)}"
        tail = f'<autoFilter ref="A1:{last}"/>' if sheet.filtered and written > 1 else ""
        entry.write(f"</sheetData>{tail}</worksheet>".encode())
        entry.close()
        ranges.append(f"$A$1:${letters[-1]}${max(written, 1)}" if tail else "")
    _package(book, sheets, ranges)
    book.close()
    yield sink.take()


def _package(book: zipfile.ZipFile, sheets: list[Sheet], ranges: list[str]) -> None:
    count = len(sheets)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, count + 1)
    )
    book.writestr(
        "[Content_Types].xml",
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{overrides}</Types>",
    )
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    book.writestr(
        "_rels/.rels",
        f'{_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
    )
    links = "".join(
        f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, count + 1)
    )
    book.writestr(
        "xl/_rels/workbook.xml.rels",
        f'{_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships">{links}<Relationship Id="rId{count + 1}" Type="{rel}/styles" '
        'Target="styles.xml"/></Relationships>',
    )
    entries = "".join(
        f'<sheet name={quoteattr(_sheet_name(s.name))} sheetId="{i}" r:id="rId{i}"/>'
        for i, s in enumerate(sheets, start=1)
    )
    names = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{escape(_quoted(_sheet_name(s.name)))}!{r}</definedName>"
        for i, (s, r) in enumerate(zip(sheets, ranges, strict=True))
        if r
    )
    book.writestr(
        "xl/workbook.xml",
        f"{_HEAD}<workbook {_NS}><bookViews><workbookView/></bookViews>"
        f"<sheets>{entries}</sheets>"
        + (f"<definedNames>{names}</definedNames>" if names else "")
        + "</workbook>",
    )
    book.writestr("xl/styles.xml", STYLES)


def _sheet_name(name: str) -> str:
    """At most 31 characters, none of those Excel refuses in a sheet's name."""
    return re.sub(r"[\[\]:*?/\\]", " ", name)[:31] or "Sheet"


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"
