"""The app with the test entity `note` registered, for tests and benchmarks that need a
live server able to take mutations before any domain registers its own; with a small
offline-capable form, built the way domain forms are (hidden mutation fields)."""

from __future__ import annotations

import uuid

from litestar import Litestar, MediaType, Request, get, post
from litestar.response import Response

from server.app import create_app
from server.auth.access import SIGNED_IN, allow, viewer_of
from server.settings import get_settings
from server.syncing import service
from sync.hlc import HLC
from tests.integration.sync.notes import NoteAdapter, SyncTestNote


async def _note_table() -> None:
    await SyncTestNote.create_table(if_not_exists=True)


@get("/test/notes/new", opt=allow(SIGNED_IN), media_type=MediaType.HTML)
async def new_note(request: Request) -> str:
    csrf = request.cookies.get("gw_csrf", "")  # the token is the cookie's value
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>note</title></head><body>
<form id="note-form" action="/test/notes" method="post">
<input type="hidden" name="_csrf_token" value="{csrf}">
<input type="hidden" name="mutation_id" value="{uuid.uuid4()}">
<input type="hidden" name="record_id" value="{uuid.uuid4()}">
<input type="hidden" name="entity" value="note"><input type="hidden" name="op" value="create">
<input type="hidden" name="base_seq" value="0"><input type="hidden" name="status" value="open">
<input type="hidden" name="area_path" value="/339900/">
<input name="title" aria-label="title">
<input type="file" accept="image/*" multiple data-photos="photos" aria-label="photos">
<button type="submit">save</button></form>
<script type="module" src="/static/js/app.js"></script></body></html>"""


@post("/test/notes", opt=allow(SIGNED_IN), media_type=MediaType.HTML, status_code=200)
async def save_note(request: Request) -> Response[str]:
    """What a domain route does online: the same envelope the outbox would send."""
    form = await request.form()
    photos = [{"id": sha, "sha256": sha} for sha in form.getall("photos", [])]
    result = await service.submit(
        {
            "mutation_id": form["mutation_id"],
            "device_id": str(uuid.UUID(int=1)),
            "device_seq": 1,
            "entity": form["entity"],
            "record_id": form["record_id"],
            "op": form["op"],
            "base_seq": int(form.get("base_seq") or 0),
            "fields": {
                "title": form.get("title", ""),
                "status": form.get("status", "open"),
                "area_path": form.get("area_path", "/339900/"),
                "photos": photos,
            },
            "hlc": form.get("hlc") or str(HLC(service.now_ms(), 0, "server")),
        },
        viewer_of(request),
    )
    return Response(f"<p id='saved'>{result.verdict if result else 'rejected'}</p>")


def create() -> Litestar:
    app = create_app(get_settings())
    service.register(NoteAdapter())
    app.register(new_note)
    app.register(save_note)
    app.on_startup.append(_note_table)  # runs after the database is activated
    return app
