"""Photos without their metadata: what anyone but the staff handling a tip-off is served.

EXIF (GPS position, phone make and serial, the time), XMP, IPTC, ICC profiles and comments
are dropped by decoding the picture and encoding it again; the EXIF orientation is applied
first so the picture stands as it was taken. The copy is also scaled to a size a phone shows.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from server.i18n import N_
from server.media.storage import image_problem

#: the served copy's longest side, as the app's own phones send photos (the original stays
#: with the handling staff)
LONGEST_SIDE = 1600
QUALITY = 85


class PhotoRefused(ValueError):
    """A message id saying why the bytes are not a photo we take."""


def without_metadata(data: bytes) -> bytes:
    """A JPEG (or PNG for a PNG with transparency) of the picture and nothing else."""
    problem = image_problem(data, decode=False)  # decoded below: a failure there refuses
    if problem:
        raise PhotoRefused(problem)
    try:
        return _encode(data)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoRefused(N_("The photo cannot be read.")) from None


def _encode(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (LONGEST_SIDE, LONGEST_SIDE))  # a JPEG decodes at a fraction
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
        transparent = upright.mode in ("RGBA", "LA") or "transparency" in upright.info
        upright.info = {}  # Pillow writes a comment or profile it still holds here
        out = io.BytesIO()
        if transparent:
            upright.save(out, format="PNG")
        else:
            # no optimize=True: a third more time for a few per cent of bytes
            upright.convert("RGB").save(out, format="JPEG", quality=QUALITY)
    return out.getvalue()
