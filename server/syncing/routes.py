"""HTTP for the phone's outbox: push mutations, announce, pull changes; the conflict inbox."""

from __future__ import annotations

import json
import uuid
import zlib
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.exceptions import ClientException, ValidationException
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from server.auth.access import PUBLIC, SIGNED_IN, allow, viewer_of
from server.directory import service as directory
from server.errors import Forbidden
from server.i18n import gettext
from server.syncing import service
from server.web.forms import require_json
from server.web.render import render
from sync.mutation import MAX_DEVICE_SEQ, MAX_EPOCH


class AnnouncedItem(msgspec.Struct):
    """What an item on the phone is, so that if the phone loses it, it is named."""

    seq: Annotated[int, msgspec.Meta(ge=1, le=MAX_DEVICE_SEQ)]
    kind: Annotated[str, msgspec.Meta(max_length=40)] = ""
    summary: Annotated[str, msgspec.Meta(max_length=120)] = ""


class Announcement(msgspec.Struct):
    device_id: uuid.UUID
    epoch: Annotated[int, msgspec.Meta(ge=0, le=MAX_EPOCH)]
    highest_seq: Annotated[int, msgspec.Meta(ge=0, le=MAX_DEVICE_SEQ)]
    #: the items not sent yet (the newest hundred at most)
    items: Annotated[list[AnnouncedItem], msgspec.Meta(max_length=100)] = []


#: a gzip body may expand to this much at most (a decompression bomb stops here)
MAX_INFLATED = 8 * 1024 * 1024


def _inflate(request: Request, raw: bytes) -> bytes:
    """Phones gzip their batches (JSON envelopes shrink 3-10x: it matters on 2G)."""
    if request.headers.get("content-encoding", "").lower() != "gzip":
        return raw
    inflater = zlib.decompressobj(wbits=31)
    try:
        body = inflater.decompress(raw, MAX_INFLATED)
    except zlib.error as exc:
        raise ValidationException("the gzip body is damaged") from exc
    if inflater.unconsumed_tail:
        raise ClientException("the batch is too large", status_code=413)
    if not inflater.eof:
        raise ValidationException("the gzip body is cut short")
    return body


def _decode(raw: bytes) -> Any:
    """JSON, fast; a body msgspec refuses (a lone surrogate escaped, as a broken phone's
    text may carry) is read by the standard library instead, so that each envelope is judged
    on its own and the good ones beside a bad one are applied."""
    try:
        return msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        pass
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ValidationException("the body is not JSON") from exc


@post("/sync/mutations", opt=allow(SIGNED_IN), status_code=200, exclude_from_csrf=True)
async def push_mutations(request: Request) -> dict[str, Any]:
    """A batch of envelopes in order; one result each, in the same order."""
    require_json(request)
    body = _decode(_inflate(request, await request.body()))
    batch = body.get("mutations") if isinstance(body, dict) else None
    if not isinstance(batch, list):
        raise ValidationException('expected {"mutations": [...]}')
    results = await service.submit_batch(batch, viewer_of(request))
    # At most `limit` are taken per request; the results cover that prefix, in order.
    return {
        "results": [_answer(r) if r else None for r in results],
        "limit": service.MAX_BATCH,
    }


def _answer(result: Any) -> dict[str, Any]:
    """A result as the phone shows it: the reason in the person's language."""
    answer = msgspec.to_builtins(result)
    answer["reason"] = gettext(result.reason) if result.reason else ""
    return answer


@post("/sync/announce", opt=allow(SIGNED_IN), status_code=200, exclude_from_csrf=True)
async def announce(request: Request, data: JSONBody[Announcement]) -> dict[str, Any]:
    require_json(request)
    titles = [(i.seq, [i.kind, i.summary]) for i in data.items if i.seq <= data.highest_seq]
    missing = await service.announce(
        viewer_of(request), data.device_id, data.epoch, data.highest_seq, titles
    )
    return {"missing": missing}


@get("/sync/changes", opt=allow(SIGNED_IN))
async def pull_changes(request: Request) -> dict[str, Any]:
    try:
        since = int(request.query_params.get("since", 0))
        limit = int(request.query_params.get("limit", 200))
    except ValueError as exc:
        raise ValidationException("since and limit are numbers") from exc
    page = await service.changes(viewer_of(request), since, limit)
    return msgspec.to_builtins(page)


@get("/sync/conflicts", name="conflicts", opt=allow(SIGNED_IN))
async def conflict_inbox(request: Request) -> Template:
    viewer = viewer_of(request)
    items = await service.conflicts(viewer)
    names = await directory.names_in_scope(
        viewer.scope, [c.person_id for c in items if c.person_id]
    )
    context = {
        "conflicts": items,
        "names": names,
        "url_of": service.record_url,
        "alerts": await service.alerts(viewer),
        "labels": service.labels(),
    }
    return render(request, "sync/conflicts.html", context)


@get("/sync/pending", name="pending", opt=allow(SIGNED_IN))
async def pending(request: Request) -> Template:
    """The page lists the phone's own outbox (the server only provides the frame) and the
    conflicts open for this person as of the last time the page was fetched."""
    conflicts = await service.conflicts(viewer_of(request))
    context = {"labels": service.labels(), "conflicts": conflicts, "url_of": service.record_url}
    return render(request, "sync/pending.html", context)


@post("/sync/conflicts/{conflict_id:uuid}/resolve", opt=allow(SIGNED_IN))
async def resolve_conflict(
    request: Request, conflict_id: FromPath[uuid.UUID], data: URLEncodedBody[dict[str, str]]
) -> Redirect:
    """Keep the current value, or take the other one (never an illegal status)."""
    choice = "other" if data.get("choice") == "other" else "keep"
    result = await service.resolve(viewer_of(request), conflict_id, choice)
    if not result.accepted:
        raise Forbidden(result.reason)
    return Redirect("/sync/conflicts", status_code=303)


QUEUED_URL = "/sync/queued"


@get(QUEUED_URL, name="queued", opt=allow(PUBLIC))
async def queued(request: Request) -> Template:
    """Precached by the service worker and shown when a form was saved offline."""
    if request.query_params.get("fragment"):
        return render(request, "sync/_queued.html")
    return render(request, "sync/queued.html")


ROUTES = [
    push_mutations,
    announce,
    pull_changes,
    conflict_inbox,
    resolve_conflict,
    pending,
    queued,
]
