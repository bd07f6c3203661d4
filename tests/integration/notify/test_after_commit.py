"""Side effects after commit (issue 15): a live notice is published only once its write has
committed, so pages never hear of a write that rolled back, and a group commit that fails as a
whole and is applied again one by one publishes each notice once. Real channels (the app's
plugin, started by the test client), a real database."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from typing import Any

import pytest

from server import db
from server.notify import deliveries, live
from server.settings import Settings
from server.syncing import service as syncing
from sync.batch import Batch
from sync.hlc import HLC
from sync.mutation import Mutation
from sync.store import Author
from tests.integration.hazards.people import GRID_MEMBER, viewer
from tests.integration.sync.notes import NoteAdapter, SyncTestNote

pytestmark = pytest.mark.db


async def heard(
    settings: Settings, person_id: uuid.UUID, action: Any, quiet: float = 0.5
) -> list[str]:
    """The titles a page of `person_id` hears while `action` runs (and `quiet` s after), on
    the process's channels as the app sets them up."""
    titles: list[str] = []
    async with (
        live.plugin_for(settings) as plugin,
        plugin.start_subscription([live.channel(person_id)]) as subscriber,
    ):

        async def listen() -> None:
            async for event in subscriber.iter_events():
                titles.append(json.loads(event)["title"])

        listening = asyncio.create_task(listen())
        try:
            await action()
            await asyncio.sleep(quiet)
        finally:
            listening.cancel()
    return titles


async def test_a_write_that_rolls_back_publishes_nothing(demo, settings: Settings) -> None:
    person = (await viewer(GRID_MEMBER)).person_id

    async def writes() -> None:
        with pytest.raises(RuntimeError):
            async with db.current().write():
                await deliveries.send_to(person, deliveries.Note(kind="test", title="rolled back"))
                raise RuntimeError("the write fails after the notice was queued")
        async with db.current().write():
            await deliveries.send_to(person, deliveries.Note(kind="test", title="committed"))
            await deliveries.send_many([person], deliveries.Note(kind="test", title="many"))
        await deliveries.send_to(
            person, deliveries.Note(kind="test", title="alone")
        )  # own transaction

    assert await heard(settings, person, writes) == ["committed", "many", "alone"]


class NotifyingNotes(NoteAdapter):
    """Notes that tell their author of each write, in the same transaction; one titled
    "poison" breaks the transaction it is in (a bug, as the group commit sees it)."""

    async def save(self, record_id: uuid.UUID, values: dict[str, Any], **kwargs: Any) -> None:
        if values.get("title") == "poison":
            raise RuntimeError("poisoned")
        await super().save(record_id, values, **kwargs)

    async def record(
        self, mutation: Mutation, fields: dict, outcome, author: Author, *a, batch: Batch
    ) -> None:
        await deliveries.send_to(
            author.person_id, deliveries.Note(kind="test", title=fields["title"])
        )


def note(title: str, n: int) -> dict[str, Any]:
    return {
        "mutation_id": str(uuid.uuid4()),
        "device_id": str(uuid.uuid4()),
        "device_seq": n,
        "entity": "note",
        "record_id": str(uuid.uuid4()),
        "op": "create",
        "fields": {"title": title},
        "base_seq": 0,
        "hlc": str(HLC(1_790_000_000_000 + n, 0, "t")),
    }


async def test_a_group_applied_again_one_by_one_publishes_each_notice_once(
    demo, settings: Settings
) -> None:
    await SyncTestNote.create_table(if_not_exists=True)
    await SyncTestNote.delete(force=True)
    grid = await viewer(GRID_MEMBER)
    before = syncing.ADAPTERS.get("note")
    syncing.register(NotifyingNotes())
    results: list[Any] = []

    async def together() -> None:
        # submitted at once: one group, which the poisoned one makes fail as a whole
        sent = [note("first", 1), note("poison", 2), note("third", 3)]
        results.extend(await asyncio.gather(*(syncing.submit(m, grid) for m in sent)))

    try:
        titles = await heard(settings, grid.person_id, together)
    finally:
        if before is None:
            syncing.ADAPTERS.pop("note", None)
        else:
            syncing.register(before)
    assert [r.verdict for r in results] == ["applied", "rejected", "applied"]
    assert Counter(titles) == {"first": 1, "third": 1}
    assert await SyncTestNote.count() == 2
