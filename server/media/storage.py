"""Photos named by their SHA-256, in a folder or an object store (`blobs.py`): a photo sent
twice is stored once, and an upload cut in the middle resumes from the last byte the server
has, on whichever host the phone reaches next (its parts are blobs too, in the shared store).

A whole photo is `objects/{sha[:2]}/{sha}`. An unfinished upload belongs to who started it:
its chunks are `partial/{owner}/{sha}/{start}`, and what has arrived is the run of chunks from
byte 0 without a gap. Each person has at most `quota` bytes unfinished, and `expire` removes
chunks that have not grown for days."""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from server.errors import DomainError, StateConflict
from server.i18n import N_
from server.media.blobs import Blob, Blobs, FolderBlobs, S3Blobs
from server.settings import Settings

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
#: photos a process remembers as whole (a name each: about 10 MB)
KNOWN_WHOLE = 100_000
#: an unfinished upload that has not grown this long is removed
PARTIAL_DAYS = 3


class MediaStore:
    def __init__(self, blobs: Blobs | Path, quota: int = DEFAULT_QUOTA) -> None:
        self.blobs: Blobs = FolderBlobs(blobs) if isinstance(blobs, Path) else blobs
        self.quota = quota
        # One upload of a given photo at a time in this process (two phones may send it);
        # across hosts a chunk is named by where it starts, so a chunk sent twice is one.
        self._locks: dict[str, asyncio.Lock] = {}
        # Photos known whole: a photo is named by its hash and never removed once whole, so
        # a page of thumbnails asks the store (a HEAD each on S3) once per photo, not per view
        self._whole: OrderedDict[str, None] = OrderedDict()

    @staticmethod
    def name(sha: str) -> str:
        return f"objects/{sha[:2]}/{sha}"

    @staticmethod
    def _parts(sha: str, owner: uuid.UUID | None) -> str:
        return f"partial/{owner or 'public'}/{sha}/"

    def exists(self, sha: str) -> bool:
        if sha in self._whole:
            return True
        if SHA256.match(sha) is None or self.blobs.size(self.name(sha)) is None:
            return False
        self._whole[sha] = None
        if len(self._whole) > KNOWN_WHOLE:
            self._whole.popitem(last=False)
        return True

    def read(self, sha: str) -> bytes | None:
        _check(sha)
        return self.blobs.read(self.name(sha))

    def local_path(self, sha: str) -> Path | None:
        """The photo's file, where the store is a folder (sent by the web server as it is)."""
        _check(sha)
        return self.blobs.local_path(self.name(sha))

    def state(self, sha: str, owner: uuid.UUID | None = None) -> UploadState:
        """How much of the photo is here: all of it, or what `owner` has sent so far."""
        _check(sha)
        whole = self.blobs.size(self.name(sha))
        if whole is not None:
            return UploadState(whole, True)
        return UploadState(_received(self.blobs.listing(self._parts(sha, owner))), False)

    def unfinished(self, owner: uuid.UUID | None) -> int:
        """Bytes of `owner`'s uploads not yet whole."""
        if owner is None:
            return 0
        return sum(b.size for b in self.blobs.listing(f"partial/{owner}/"))

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
            state = await asyncio.to_thread(self.state, sha, owner)
            if state.complete:
                return state  # the same photo is already here: nothing to do
            if start != state.received:
                raise StateConflict(N_("Resume from byte %(received)s."), received=state.received)
            held = await asyncio.to_thread(self.unfinished, owner)
            if start + len(chunk) < total and held + len(chunk) > self.quota:
                raise TooLarge(
                    N_("Too many photos are half sent. Wait for them to finish, then try again.")
                )
            parts = self._parts(sha, owner)
            await asyncio.to_thread(self.blobs.write, f"{parts}{start:012d}", chunk)
            received = start + len(chunk)
            if received < total:
                return UploadState(received, False)
            await asyncio.to_thread(self._finish, sha, parts, total)
            return UploadState(total, True)

    def put(self, data: bytes) -> str:
        """Store a whole photo checked by the caller; its name is its SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        if self.blobs.size(self.name(sha)) is None:
            self.blobs.write(self.name(sha), data)
        return sha

    def expire(self, days: float = PARTIAL_DAYS) -> int:
        """Remove unfinished uploads' chunks (and stray files) that have not grown for `days`;
        how many were removed. The phone that sent one starts it again if it still wants it
        (the state it asks for says 0)."""
        cutoff = time.time() - days * 86400
        removed = 0
        for blob in self.blobs.listing("partial/"):
            if blob.modified < cutoff:
                self.blobs.delete(blob.name)
                removed += 1
        return removed

    def _finish(self, sha: str, parts: str, total: int) -> None:
        chunks = self.blobs.listing(parts)
        data = b"".join(self.blobs.read(b.name) or b"" for b in chunks)[:total]
        try:
            if hashlib.sha256(data).hexdigest() != sha:
                raise UploadMismatch(N_("The photo arrived damaged. It will be sent again."))
            problem = image_problem(data)
            if problem:
                raise UploadMismatch(problem)
            self.blobs.write(self.name(sha), data)  # atomic: a photo is whole or absent
        finally:
            for blob in chunks:  # done, or damaged: the phone starts it again
                self.blobs.delete(blob.name)


def _received(chunks: list[Blob]) -> int:
    """The bytes that arrived from 0 without a gap (chunks are named by where they start)."""
    received = 0
    for blob in chunks:
        start = int(blob.name.rsplit("/", 1)[1])
        if start != received:
            break
        received += blob.size
    return received


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


def media_blobs(settings: Settings) -> Blobs:
    """Where this deployment keeps photos: the object store if one is configured (every host
    sees the same photos and the same half-sent uploads), else this host's folder."""
    if settings.s3_endpoint_url:
        return S3Blobs.connect(
            settings.s3_endpoint_url,
            settings.s3_bucket,
            settings.s3_access_key_id,
            settings.s3_secret_access_key,
            settings.s3_region,
            settings.s3_prefix,
        )
    return FolderBlobs(settings.media_dir)
