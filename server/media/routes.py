"""Photo uploads in resumable chunks, and photos served by their hash."""

from __future__ import annotations

import asyncio
import re

from litestar import Request, Response, get, put
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File

from server.auth.access import SIGNED_IN, allow, viewer_of
from server.errors import DomainError
from server.i18n import N_
from server.media import grants
from server.media.storage import SHA256, MediaStore

_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def store_of(request: Request) -> MediaStore:
    return request.app.state.media


@get("/media/uploads/{sha:str}", opt=allow(SIGNED_IN))
async def upload_state(request: Request, sha: FromPath[str]) -> dict[str, object]:
    """How much of a photo the server has: where to resume."""
    state = await asyncio.to_thread(store_of(request).state, sha, viewer_of(request).person_id)
    return {"received": state.received, "complete": state.complete}


@put("/media/uploads/{sha:str}", opt=allow(SIGNED_IN), exclude_from_csrf=True, status_code=200)
async def upload_chunk(request: Request, sha: FromPath[str]) -> dict[str, object]:
    """One chunk, placed by `Content-Range: bytes START-END/TOTAL`. No CSRF token: a form
    cannot PUT, and a cross-site PUT needs a CORS preflight this app never grants; the
    session cookie is SameSite=Lax. The phone may replay an upload days after queueing it."""
    match = _RANGE.match(request.headers.get("content-range", ""))
    if not match:
        raise DomainError(N_("Send the photo with a Content-Range header."))
    start, end, total = (int(g) for g in match.groups())
    chunk = await request.body()
    if end - start + 1 != len(chunk):
        raise DomainError(N_("This part of the photo does not fit."))
    owner = viewer_of(request).person_id
    state = await store_of(request).append(sha, start, chunk, total, owner)
    return {"received": state.received, "complete": state.complete}


@get("/media/{sha:str}", opt=allow(SIGNED_IN))
async def photo(request: Request, sha: FromPath[str]) -> File | Response:
    """A photo for someone who was shown it: the page of a record they may read signed its
    URL for them (grants.py). Anyone else, knowing the hash or not, gets 404."""
    secret = request.app.state.settings.secret_key
    token = request.query_params.get("g") or ""
    if not grants.valid(secret, viewer_of(request).person_id, sha, token):
        raise NotFoundException()
    return await photo_file(store_of(request), sha, "private, max-age=2592000")


async def photo_file(store: MediaStore, sha: str, cache_control: str) -> File | Response:
    """A whole photo of `store`, its type from its first bytes (stored photos are JPEG, PNG
    or WebP: checked on the way in): the file itself from a folder, the bytes from an object
    store (a photo is ~300 KB; the browser keeps it for a month)."""
    headers = {"Cache-Control": cache_control}
    if not SHA256.match(sha):
        raise NotFoundException()
    path = await asyncio.to_thread(store.local_path, sha)
    if path is not None:
        with path.open("rb") as fh:
            kind = _kind(fh.read(2))
        return File(path=path, media_type=kind, content_disposition_type="inline", headers=headers)
    data = await asyncio.to_thread(store.read, sha)
    if data is None:
        raise NotFoundException()
    headers["Content-Disposition"] = "inline"
    return Response(content=data, media_type=_kind(data[:2]), headers=headers)


def _kind(head: bytes) -> str:
    return {b"\xff\xd8": "image/jpeg", b"\x89P": "image/png"}.get(head, "image/webp")


ROUTES = [upload_state, upload_chunk, photo]
