"""Photos as residents' phones send them: a JPEG carrying EXIF with a GPS position, the
phone's make and the time."""

from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825
MAKE, DATETIME, ORIENTATION = 0x010F, 0x0132, 0x0112


def phone_jpeg(lat: float = 30.2741, lng: float = 120.1551, size=(1200, 900)) -> bytes:
    image = Image.new("RGB", size, (90, 140, 60))
    exif = Image.Exif()
    exif[MAKE] = "HUAWEI"
    exif[DATETIME] = "2026:11:24 09:30:00"
    exif[ORIENTATION] = 1
    exif[GPS_IFD] = {
        1: "N",
        2: (float(int(lat)), float(int(lat % 1 * 60)), round(lat * 3600 % 60, 2)),
        3: "E",
        4: (float(int(lng)), float(int(lng % 1 * 60)), round(lng * 3600 % 60, 2)),
    }
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def metadata_of(data: bytes) -> dict:
    """What a photo tells about where, when and on what it was taken (empty: nothing)."""
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        found = {k: v for k, v in exif.items() if k in (MAKE, DATETIME)}
        gps = exif.get_ifd(GPS_IFD)
        if gps:
            found["gps"] = dict(gps)
        for key in ("exif", "xmp", "comment", "icc_profile"):
            if image.info.get(key):
                found[key] = True
        return found
