"""Photo files on disk, named by their SHA-256: a photo sent twice is stored once, and an
upload cut in the middle resumes from the last byte the server has.

An unfinished upload belongs to who started it (`partial/{owner}/{sha}.part`): each person
has at most `quota` bytes unfinished, and `expire` removes what has not grown for days."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from server.errors import DomainError, StateConflict
from server.i18n import N_

SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: the phone downscales to 1600 px JPEG (~300 KB); this leaves room for a PNG screenshot
MAX_BYTES = 15 * 1024 * 1024
MAX_CHUNK = 2 * 1024 * 1024
MAX_PIXELS = 40_000_000
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")


class UploadMismatch(DomainError):
    status_code = 422


class TooLarge(DomainError):
    status_code = 413


@dataclass(frozen=True)
class UploadState:
    received: int
    complete: bool


#: unfinished uploads one person may hold (a phone queues ~300 KB photos: hundreds fit)
DEFAULT_QUOTA = 200 * 1024 * 1024
#: an unfinished upload that has not grown this long is removed
PARTIAL_DAYS = 3


class MediaStore:
    def __init__(self, root: Path, quota: int = DEFAULT_QUOTA) -> None:
        self.root = root
        self.quota = quota
        # One upload of a given photo at a time in this process (two phones may send it).
        self._locks: dict[str, asyncio.Lock] = {}

    def path(self, sha: str) -> Path:
        return self.root / "objects" / sha[:2] / sha

    def _partial(self, sha: str, owner: uuid.UUID | None = None) -> Path:
        return self.root / "partial" / (str(owner) if owner else "") / f"{sha}.part"

    def state(self, sha: str, owner: uuid.UUID | None = None) -> UploadState:
        """How much of the photo is here: all of it, or what `owner` has sent so far."""
        _check(sha)
        if self.path(sha).exists():
            return UploadState(self.path(sha).stat().st_size, True)
        partial = self._partial(sha, owner)
        return UploadState(partial.stat().st_size if partial.exists() else 0, False)

    def unfinished(self, owner: uuid.UUID | None) -> int:
        """Bytes of `owner`'s uploads not yet whole."""
        folder = self._partial("", owner).parent
        if owner is None or not folder.is_dir():
            return 0
        return sum(p.stat().st_size for p in folder.glob("*.part"))

    async def append(
        self, sha: str, start: int, chunk: bytes, total: int, owner: uuid.UUID | None = None
    ) -> UploadState:
        """Add bytes [start, start+len) of a `total`-byte photo sent by `owner` (a person
        id); the last chunk completes it."""
        _check(sha)
        if total > MAX_BYTES:
            raise TooLarge(N_("A photo may be at most 15 MB."))
        if len(chunk) > MAX_CHUNK or start + len(chunk) > total:
            raise DomainError(N_("This part of the photo does not fit."))
        lock = self._locks.setdefault(f"{owner}/{sha}", asyncio.Lock())
        async with lock:
            state = self.state(sha, owner)
            if state.complete:
                return state  # the same photo is already here: nothing to do
            if start != state.received:
                raise StateConflict(N_("Resume from byte %(received)s."), received=state.received)
            if start + len(chunk) < total and self.unfinished(owner) + len(chunk) > self.quota:
                raise TooLarge(
                    N_("Too many photos are half sent. Wait for them to finish, then try again.")
                )
            partial = self._partial(sha, owner)
            partial.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(_write, partial, chunk)
            received = start + len(chunk)
            if received < total:
                return UploadState(received, False)
            await asyncio.to_thread(self._finish, sha, partial)
            return UploadState(total, True)

    def put(self, data: bytes) -> str:
        """Store a whole photo checked by the caller; its name is its SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        final = self.path(sha)
        if not final.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            partial = self._partial(f"{sha}")
            partial.parent.mkdir(parents=True, exist_ok=True)
            temp = partial.with_suffix(f".{uuid.uuid4().hex}")
            _write(temp, data)
            os.replace(temp, final)  # atomic: a photo is either whole or absent
        return sha

    def expire(self, days: float = PARTIAL_DAYS) -> int:
        """Remove unfinished uploads (and stray temporary files) that have not grown for
        `days`; how many were removed. The phone that sent one starts it again if it still
        wants it (the state it asks for says 0)."""
        cutoff = time.time() - days * 86400
        removed = 0
        folder = self.root / "partial"
        if not folder.is_dir():
            return 0
        for path in folder.rglob("*"):
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # finished or removed meanwhile
        for sub in folder.iterdir():
            if sub.is_dir() and not any(sub.iterdir()):
                sub.rmdir()
        return removed

    def _finish(self, sha: str, partial: Path) -> None:
        data = partial.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha:
            partial.unlink(missing_ok=True)  # corrupted on the way: start over
            raise UploadMismatch(N_("The photo arrived damaged. It will be sent again."))
        problem = image_problem(data)
        if problem:
            partial.unlink(missing_ok=True)
            raise UploadMismatch(problem)
        final = self.path(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial, final)  # atomic: a photo is either whole or absent


def _write(path: Path, chunk: bytes) -> None:
    with path.open("ab") as fh:
        fh.write(chunk)
        fh.flush()
        os.fsync(fh.fileno())


def photo_refs(items: list) -> list[dict[str, str]]:
    """Photos a record names, as the phone sends them (a hash, or {"sha256": hash}): a list
    of {"id", "sha256"} (the hash is the id: the same photo twice is one)."""
    photos = []
    for item in items:
        sha = item.get("sha256") if isinstance(item, Mapping) else item
        if not isinstance(sha, str) or not SHA256.match(sha):
            raise ValueError(N_("A photo reference is damaged."))
        photos.append({"id": sha, "sha256": sha})
    return photos


def _check(sha: str) -> None:
    if not SHA256.match(sha):
        raise DomainError(N_("Not a photo name."))


def image_problem(data: bytes, *, decode: bool = True) -> str | None:
    """An English message id if `data` is not a photo we accept (type by magic bytes, then
    Pillow; pixel count capped against decompression bombs). `decode=False` leaves the
    decoding to a caller who decodes the picture anyway (and refuses what fails there)."""
    if not data.startswith(_MAGIC) or (data.startswith(b"RIFF") and data[8:12] != b"WEBP"):
        return N_("Only JPEG, PNG or WebP photos can be sent.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                return N_("The photo has too many pixels.")
            image.verify()
        if not decode:
            return None
        # verify() does not read a JPEG's picture: decode it (at a fraction of its size, a
        # JPEG allows that) so that a file cut short is found here, not when it is shown
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (1024, 1024))
            image.load()
    except Image.DecompressionBombError:
        return N_("The photo has too many pixels.")
    except (OSError, SyntaxError, ValueError):
        return N_("The photo cannot be read.")
    return None
