"""Spreadsheet cells that stay data: text a resident or a phone wrote never becomes a formula
in a ledger opened by staff (CSV injection, OWASP). Every export writes rows through here."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from openpyxl.cell import WriteOnlyCell

#: what makes Excel, WPS or LibreOffice read a cell as a formula (full-width forms too)
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def _risky(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(TRIGGERS)


def append(sheet: Any, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl sheet (normal or write-only): text is a string cell, never
    a formula (openpyxl would make one of any text beginning with =)."""
    row = []
    for value in values:
        if _risky(value):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            value = cell
        row.append(value)
    sheet.append(row)


def csv_text(value: Any) -> str:
    """A value as a CSV cell's text: nothing for None, dates and times as people write them."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_cell(value: Any) -> Any:
    """CSV has no types: text that would start a formula is quoted with ' as OWASP advises."""
    return "'" + value if _risky(value) else value


class Writer:
    """csv.writer whose every cell has gone through csv_cell."""

    def __init__(self, out: Any) -> None:
        self._writer = csv.writer(out)

    def writerow(self, values: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(v) for v in values])
