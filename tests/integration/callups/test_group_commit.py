"""Single mutations from many phones at once share transactions (group commit): every one
lands, each judged for its own author, and one that breaks the group fails alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from server.callups.adapter import CallupTargetAdapter
from server.syncing import service as syncing
from tests.integration.callups.people import (
    BUREAU,
    answer,
    issue,
    person_viewer,
    target,
    targets,
    viewer,
)

pytestmark = pytest.mark.db


async def test_many_phones_at_once(demo, monkeypatch: pytest.MonkeyPatch) -> None:
    callup_id = await issue(await viewer(BUREAU), now=datetime.now(UTC) - timedelta(hours=1))
    rows = await targets(callup_id)
    people = [await person_viewer(r["person_id"]) for r in rows]
    poisoned = rows[3]["id"]
    original = CallupTargetAdapter.record

    async def record(self, mutation, *args, **kwargs):  # type: ignore[no-untyped-def]
        if mutation.record_id == poisoned:
            raise RuntimeError("a bug met by one mutation")
        return await original(self, mutation, *args, **kwargs)

    groups: list[int] = []
    apply_group = syncing.GroupCommit.apply

    async def counted(group):  # type: ignore[no-untyped-def]
        groups.append(len(group))
        return await apply_group(group)

    monkeypatch.setattr(CallupTargetAdapter, "record", record)
    monkeypatch.setattr(syncing.GroupCommit, "apply", staticmethod(counted))
    outcomes = await asyncio.gather(
        *(
            answer(person, row["id"], {"answer": "received"}, device=100 + n)
            for n, (person, row) in enumerate(zip(people, rows, strict=True))
        ),
        return_exceptions=True,
    )
    assert not [o for o in outcomes if isinstance(o, Exception)]
    # the poisoned one is kept as a rejection with its payload: it never stalls a phone
    [kept] = [o for o, row in zip(outcomes, rows, strict=True) if row["id"] == poisoned]
    assert kept.verdict == "rejected" and kept.reason == syncing.FAILED
    assert all(o.verdict == "applied" for o in outcomes if o is not kept)
    for row in rows:
        confirmed = (await target(row["id"]))["confirmed_at"]
        assert (confirmed is None) == (row["id"] == poisoned)
    assert len(groups) < len(rows)  # shared transactions, not one each
    assert max(groups) > 1
