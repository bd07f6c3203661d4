"""The streaming .xlsx writer: bytes before the first row is read, a file openpyxl reads back
with its types, frozen header, widths and filter, and text that stays text."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime

import openpyxl

from server import workbook


def test_the_first_bytes_leave_before_any_row_is_read_and_the_file_reads_back() -> None:
    pulled: list[int] = []

    async def batches():
        pulled.append(1)
        yield [["编号", "上报时间", "整改时限", "纬度", "说明"]]
        for n in range(3):
            pulled.append(1)
            yield [
                [
                    f"YH-{n}-{i}",
                    datetime(2026, 12, 5, 8, 30),
                    date(2026, 12, 31),
                    30.1 + i,
                    '=HYPERLINK("x")\x07' if i == 0 else "清溪村 <堤防> & 水库",
                ]
                for i in range(1000)
            ]

    async def run() -> tuple[bytes, int]:
        chunks = workbook.stream([workbook.Sheet("隐患台账", [18, 18, 12, 11, 30], batches())])
        first = await anext(chunks)
        before = len(pulled)
        rest = b"".join([c async for c in chunks])
        return first + rest, before

    data, pulled_before_first = asyncio.run(run())
    assert pulled_before_first == 0  # nothing was read from the database yet
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet.title == "隐患台账" and sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:E3001"
    assert sheet.column_dimensions["A"].width == 18
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("编号", "上报时间", "整改时限", "纬度", "说明") and len(rows) == 3001
    code, when, deadline, lat, text = rows[1]
    assert code == "YH-0-0"
    assert when == datetime(2026, 12, 5, 8, 30) and deadline.date() == date(2026, 12, 31)
    assert lat == 30.1 and text == '=HYPERLINK("x")'  # a string, the control character gone
    assert sheet.cell(2, 5).data_type == "s" and rows[2][4] == "清溪村 <堤防> & 水库"


def test_a_percentage_and_a_second_sheet() -> None:
    async def one(rows):
        yield rows

    async def run() -> bytes:
        sheets = [
            workbook.Sheet("台账", [10], one([["a"], ["b"]])),
            workbook.Sheet(
                "统计:汇总", [16, 12], one([["整改率", workbook.Percent(0.183)]]), filtered=False
            ),
        ]
        return b"".join([c async for c in workbook.stream(sheets)])

    book = openpyxl.load_workbook(io.BytesIO(asyncio.run(run())))
    figures = book.worksheets[1]
    assert figures.title == "统计 汇总"  # ":" is not allowed in a sheet's name
    assert figures["B1"].value == 0.183 and figures["B1"].number_format == "0.0%"
