"""A camera for browser tests: a QR plate as a still photo, and as the video Chromium's fake
capture device plays (`--use-file-for-fake-video-capture`, a YUV4MPEG2 file)."""

from __future__ import annotations

import io
from pathlib import Path

import segno
from PIL import Image

WIDTH, HEIGHT = 640, 480


def plate(text: str, size: tuple[int, int] = (WIDTH, HEIGHT)) -> Image.Image:
    """A QR code of `text` in the middle of a grey scene, as a phone would see a plate."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=8, border=4)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    side = min(size) * 3 // 4
    code = code.resize((side, side), Image.Resampling.NEAREST)
    scene = Image.new("L", size, 150)
    scene.paste(code, ((size[0] - side) // 2, (size[1] - side) // 2))
    return scene


def plate_png(text: str) -> bytes:
    out = io.BytesIO()
    plate(text).convert("RGB").save(out, format="PNG")
    return out.getvalue()


def plate_video(text: str, path: Path, frames: int = 10) -> Path:
    """The plate as a 4:2:0 Y4M clip (grey: the colour planes are flat)."""
    luma = plate(text).tobytes()
    chroma = bytes([128]) * ((WIDTH // 2) * (HEIGHT // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)
    return path
