"""Photo uploads in resumable chunks, and photos served by their hash."""

from __future__ import annotations

import re

from litestar import Request, get, put
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File

from server.auth.access import SIGNED_IN, allow, viewer_of
from server.errors import DomainError
from server.i18n import N_
from server.media import grants
from server.media.storage import MediaStore

_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def store_of(request: Request) -> MediaStore:
    return request.app.state.media


@get("/media/uploads/{sha:str}", opt=allow(SIGNED_IN))
async def upload_state(request: Request, sha: FromPath[str]) -> dict[str, object]:
    """How much of a photo the server has: where to resume."""
    state = store_of(request).state(sha, viewer_of(request).person_id)
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
async def photo(request: Request, sha: FromPath[str]) -> File:
    """A photo for someone who was shown it: the page of a record they may read signed its
    URL for them (grants.py). Anyone else, knowing the hash or not, gets 404."""
    secret = request.app.state.settings.secret_key
    token = request.query_params.get("g") or ""
    if not grants.valid(secret, viewer_of(request).person_id, sha, token):
        raise NotFoundException()
    return photo_file(store_of(request), sha, "private, max-age=2592000")


def photo_file(store: MediaStore, sha: str, cache_control: str) -> File:
    """A whole photo of `store`, its type from its first bytes (stored photos are JPEG, PNG
    or WebP: checked on the way in)."""
    if not store.state(sha).complete:
        raise NotFoundException()
    path = store.path(sha)
    with path.open("rb") as fh:
        head = fh.read(2)
    kind = {b"\xff\xd8": "image/jpeg", b"\x89P": "image/png"}.get(head, "image/webp")
    return File(
        path=path,
        media_type=kind,
        content_disposition_type="inline",
        headers={"Cache-Control": cache_control},
    )


ROUTES = [upload_state, upload_chunk, photo]
