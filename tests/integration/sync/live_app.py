"""The app with the test entity `note` registered, for tests and benchmarks that need a
live server able to take mutations before any domain registers its own."""

from __future__ import annotations

from litestar import Litestar

from server.app import create_app
from server.settings import get_settings
from server.syncing import service
from tests.integration.sync.notes import NoteAdapter, SyncTestNote


async def _note_table() -> None:
    await SyncTestNote.create_table(if_not_exists=True)


def create() -> Litestar:
    app = create_app(get_settings())
    service.register(NoteAdapter())
    app.on_startup.append(_note_table)  # runs after the database is activated
    return app
