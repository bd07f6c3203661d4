"""A corpus of bad uploads sent to the public form: each is refused with a clear Chinese
message and a 4xx, and nothing of the tip-off is stored (no row, no photo file). A valid
JPEG with something hidden after it is taken, and what is served carries none of it."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from server.tipoffs.tables import TipOff
from tests.integration.tipoffs.photos import phone_jpeg
from tests.integration.tipoffs.test_flow import send

pytestmark = pytest.mark.db
FIELDS = {"category": "fire.ebike", "description": "楼道电动车飞线充电", "address": "幸福路8号"}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 8000) -> bytes:
    """A real decompression bomb: 64 million grey pixels of zero in ~60 KB."""
    packer = zlib.compressobj(9)
    row = b"\x00" * (side + 1)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def png_liar() -> bytes:
    """A tiny PNG whose header claims 100,000 x 100,000 pixels."""
    small = io.BytesIO()
    Image.new("L", (4, 4)).save(small, format="PNG")
    data = bytearray(small.getvalue())
    data[16:24] = struct.pack(">II", 100_000, 100_000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)">'
    b"<script>alert(1)</script></svg>"
)
HTML_IN_JPEG_CLOTHES = b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>"

CORPUS = {
    "truncated jpeg": (phone_jpeg()[:3000], "无法读取"),
    "png decompression bomb": (png_bomb(), "像素"),
    "png that lies about its size": (png_liar(), "像素"),
    "svg with script": (SVG, "JPEG"),
    "html dressed as a jpeg": (HTML_IN_JPEG_CLOTHES, "无法读取"),
    "empty-ish": (b"\xff\xd8", "JPEG"),
}


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("name", list(CORPUS))
async def test_a_bad_upload_is_refused_whole(app: Litestar, demo, settings, name: str) -> None:
    data, message = CORPUS[name]
    async with AsyncTestClient(app=app) as resident:
        refused = await send(resident, FIELDS, [phone_jpeg(), data])
    assert 400 <= refused.status_code < 500
    assert message in refused.text and FIELDS["description"] in refused.text  # kept
    assert await TipOff.count() == 0
    assert stored_files(settings.media_dir) == []  # not even the good photo beside it


async def test_fifty_megabytes_is_refused_with_a_message(app: Litestar, demo, settings) -> None:
    async with AsyncTestClient(app=app) as resident:
        refused = await send(resident, FIELDS, [b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024)])
    assert refused.status_code == 413 and "过大" in refused.text
    assert await TipOff.count() == 0 and stored_files(settings.media_dir) == []


async def test_a_polyglot_jpeg_is_served_clean(app: Litestar, demo) -> None:
    """A valid photo with a script after its end: taken, and the copy served is only a photo."""
    payload = b"<script>alert(1)</script>PK\x03\x04"
    async with AsyncTestClient(app=app) as resident:
        sent = await send(resident, FIELDS, [phone_jpeg() + payload])
        assert sent.status_code == 303
        served = await resident.get(sent.headers["location"].split("?")[0] + "/photos/0")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert payload not in served.content and b"<script" not in served.content
    assert served.headers["x-content-type-options"] == "nosniff"
