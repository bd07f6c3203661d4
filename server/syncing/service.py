"""Applying phones' mutations with the app's database rules, and reading the feed."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from server import db
from server.auth.access import ON_DUTY
from server.auth.service import Viewer
from server.directory import service as directory
from server.directory.scope import nothing
from server.errors import NotFound, StateConflict
from server.i18n import N_
from sync import devices, feed, store
from sync.batch import Batch
from sync.mutation import EnvelopeError, Mutation, decode
from sync.tables import SyncAlert

#: the sync engine's own reasons, as message ids for the catalog (sync/ knows no server/)
ENGINE_REASONS = (
    N_("This record exists already: a new one cannot take its id."),
    N_("A record moves to another area only by the action made for moving it."),
    N_("This write reused the id of another write: it was not applied, and it is kept."),
)

#: entity name -> adapter; each domain registers its own (hazards, patrols, call-ups...)
ADAPTERS: dict[str, store.Adapter] = {}
MAX_BATCH = 200
log = logging.getLogger("gridwatch.sync")


def register(adapter: store.Adapter) -> None:
    ADAPTERS[adapter.policy.entity] = adapter


def labels() -> dict[str, str]:
    """What to call each entity, its ops ("hazard.report" -> "隐患 · 上报") and its fields
    ("hazard:rectify_note" -> "整改情况"), for the pending and conflict pages; what an
    adapter does not name shows as it is stored."""
    found: dict[str, str] = {}
    for name, adapter in ADAPTERS.items():
        found.update(adapter.labels())
        found.setdefault(name, name)
    return found


def now_ms() -> int:
    return int(time.time() * 1000)


def author_of(viewer: Viewer) -> store.Author:
    return store.Author(viewer.person_id, frozenset(k.value for k in viewer.kinds), viewer)


Parsed = tuple[Any, Mutation | EnvelopeError]


def _parse(raw: Any) -> Parsed:
    """Decode an envelope once; an unreadable one keeps its error for the rejection."""
    try:
        return raw, decode(raw)
    except EnvelopeError as exc:
        return raw, exc


async def _apply(parsed: Parsed, author: store.Author, batch: Batch) -> store.Result:
    raw, mutation = parsed
    if isinstance(mutation, EnvelopeError):
        return await store.reject_raw(
            raw if isinstance(raw, dict) else {},
            str(mutation),
            author,
            now_ms=now_ms(),
            batch=batch,
        )
    return await store.apply(
        mutation, author, ADAPTERS, now_ms=now_ms(), batch=batch, track_device=False
    )


async def _prefetch(batch: Batch, parsed: list[Parsed]) -> None:
    """Everything a batch will read, in a few queries: the log and record versions (sync),
    and the records themselves where an adapter can read many at once (`prefetch`)."""
    good = [m for _raw, m in parsed if isinstance(m, Mutation)]
    await batch.prefetch([m.mutation_id for m in good], [m.record_id for m in good])
    by_entity: dict[str, list[uuid.UUID]] = {}
    for m in good:
        by_entity.setdefault(m.entity, []).append(m.record_id)
    for entity, ids in by_entity.items():
        adapter = ADAPTERS.get(entity)
        if adapter is not None:
            await adapter.prefetch(ids, batch=batch)


async def _flush(batch: Batch) -> None:
    """The sync log's rows, and what adapters kept to write in bulk (`flush`)."""
    await batch.flush()
    for adapter in ADAPTERS.values():
        await adapter.flush(batch=batch)


async def _note_devices(group: Sequence[tuple[Parsed, store.Author]]) -> None:
    """Each phone of a group once, at its highest position, all in one go."""
    highest: dict[tuple[Any, int], tuple[int, Any]] = {}
    for (_raw, m), author in group:
        if isinstance(m, Mutation):
            key = (m.device_id, m.epoch)
            seq = max(highest.get(key, (0, None))[0], m.device_seq)
            highest[key] = (seq, author.person_id)
    await devices.announce_many(
        [(d, epoch, seq, person) for (d, epoch), (seq, person) in highest.items()]
    )


async def apply_group(group: Sequence[tuple[Parsed, store.Author]]) -> list[store.Result]:
    """The unit of work every write goes through (a form, a phone's batch, a group commit, a
    domain acting for someone): one transaction (or the caller's, when one is open) behind
    the "sync" lock; the phones noted, what the group reads fetched at once, each mutation
    applied (store.apply -> merge), the log and bulk writes flushed. Side effects wait for
    the commit (`db.after_commit`)."""
    database = db.current()
    async with database.write():
        await database.serialize("sync")
        await _note_devices(group)
        work = Batch()
        await _prefetch(work, [parsed for parsed, _author in group])
        results = [await _apply(parsed, author, work) for parsed, author in group]
        await _flush(work)
        return results


async def submit(raw: Any, viewer: Viewer) -> store.Result:
    """One mutation (an online form, a notification's action). Concurrent ones from many
    phones share a transaction (group commit, see GroupCommit). Inside an open transaction
    (a domain service writing more than the mutation) it is applied in that transaction."""
    parsed, author = _parse(raw), author_of(viewer)
    if db.current().in_transaction():
        return (await apply_group([(parsed, author)]))[0]
    return await _group().submit(parsed, author)


class GroupCommit:
    """Group commit: while one transaction applies mutations, those arriving meanwhile
    queue; the next transaction takes all of them (up to MAX_BATCH), each with its own
    author. Writers are serial anyway (the "sync" lock), so a call-up's thousands of single
    confirmations cost a few hundred commits instead of one each. If a group fails as a
    whole, its mutations are applied one by one, so one poisoned entry holds back nobody."""

    #: how a whole group is applied (a test counts the groups here)
    apply = staticmethod(apply_group)

    def __init__(self) -> None:
        self.queue: list[tuple[Parsed, store.Author, asyncio.Future]] = []
        self.leader: asyncio.Task | None = None

    async def submit(self, parsed: Parsed, author: store.Author) -> store.Result:
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self.queue.append((parsed, author, future))
        if self.leader is None or self.leader.done():
            self.leader = asyncio.create_task(self._lead())
        return await future

    async def _lead(self) -> None:
        while self.queue:
            group, self.queue = self.queue[:MAX_BATCH], self.queue[MAX_BATCH:]
            entries = [(parsed, author) for parsed, author, _future in group]
            try:
                results = await self.apply(entries)
            except Exception:
                log.exception("group of %d failed as a whole; applying one by one", len(group))
                for entry, (_p, _a, future) in zip(entries, group, strict=True):
                    try:
                        _settle(future, await _apply_alone(entry))
                    except Exception as exc:
                        _settle(future, exception=exc)
                continue
            for (_p, _a, future), result in zip(group, results, strict=True):
                _settle(future, result)


def _settle(future: asyncio.Future, result: Any = None, exception: Exception | None = None) -> None:
    """A caller that gave up (a closed connection) has a cancelled future: skip it."""
    if future.done():
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)


_groups: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GroupCommit] = (
    weakref.WeakKeyDictionary()
)


def _group() -> GroupCommit:
    """One group per event loop (tests and the CLI may run several)."""
    loop = asyncio.get_running_loop()
    group = _groups.get(loop)
    if group is None:
        group = _groups[loop] = GroupCommit()
    return group


async def submit_batch(batch: list[Any], viewer: Viewer) -> list[store.Result]:
    """A phone's batch in one transaction (one lock, one commit: fast on a backlog). If
    anything unexpected breaks it, each mutation is applied on its own instead, so one
    poisoned entry cannot hold back the others. Rejections are outcomes, not failures."""
    author = author_of(viewer)
    entries = [(_parse(raw), author) for raw in batch[:MAX_BATCH]]
    try:
        return await apply_group(entries)
    except Exception:
        log.exception("batch of %d failed as a whole; applying one by one", len(entries))
    results: list[store.Result] = []
    for entry in entries:
        try:
            results.append(await _apply_alone(entry))
        except Exception:
            break  # the database itself fails: keep order, the rest waits for a retry
    return results


async def _apply_alone(entry: tuple[Parsed, store.Author]) -> store.Result:
    """One mutation of a group or batch that failed as a whole, in its own transaction; if it
    breaks the code it is kept as a rejection. Raises only when the database cannot write."""
    try:
        (result,) = await apply_group([entry])
        return result
    except Exception as exc:
        log.exception("mutation failed on its own; kept as a rejection if the database allows")
        kept = await _keep_failed(*entry)
        if kept is None:
            raise exc from None
        return kept


#: a mutation that broke the server's code: stored with its payload for a person to see
FAILED = N_("The server could not apply this write. It is kept, and staff can see it.")


async def _keep_failed(parsed: Parsed, author: store.Author) -> store.Result | None:
    """A mutation that fails on its own is a bug or an attack, not a network error: it is
    kept as a rejection (so it never stalls the phone's queue) when the database can still
    write; None when it cannot (then the phone retries later). A payload the database will
    not store is kept as its id alone."""
    raw, mutation = parsed
    payload = msgspec.to_builtins(mutation) if isinstance(mutation, Mutation) else raw
    payload = payload if isinstance(payload, dict) else {}
    bare = {"mutation_id": payload.get("mutation_id")}
    database = db.current()
    for kept in (payload, bare):
        try:
            async with database.write():
                await database.serialize("sync")
                batch = Batch()
                result = await store.reject_raw(kept, FAILED, author, now_ms=now_ms(), batch=batch)
                await batch.flush()
                return result
        except Exception:
            log.exception("could not keep the failed mutation")
    return None


async def announce(
    viewer: Viewer,
    device_id: Any,
    epoch: int,
    highest: int,
    titles: list[devices.Title] | None = None,
) -> list[list[int]]:
    async with db.current().write():
        return await devices.announce(device_id, epoch, highest, viewer.person_id, titles)


async def changes(viewer: Viewer, since: int, limit: int) -> feed.FeedPage:
    return await feed.changes(since, viewer.scope.where, viewer.person_id, limit)


async def conflicts(
    viewer: Viewer, *, conflict_id: uuid.UUID | None = None
) -> list[feed.ConflictView]:
    scope = viewer.scope.where if viewer.kinds & ON_DUTY else (lambda _column: nothing())
    if conflict_id is None:
        return await feed.inbox(scope, viewer.person_id)
    return await feed.inbox(scope, viewer.person_id, open_only=False, conflict_id=conflict_id)


@dataclass(frozen=True)
class Alert:
    """A phone that came back with its storage wiped while mutations it had announced never
    arrived: who, which phone, how many and which positions are known missing."""

    kind: str
    person_name: str
    device_id: uuid.UUID | None
    #: "3-7", "9": positions on the phone, as ranges
    missing: list[str]
    count: int
    created_at: Any
    #: what the lost items were, as the phone announced them ("隐患 · 上报：楼道飞线充电")
    titles: tuple[str, ...] = ()
    person_id: uuid.UUID | None = None


async def alerts(viewer: Viewer, limit: int = 50) -> list[Alert]:
    """Device-loss alerts about the viewer, and, for supervisors, about people in their scope."""
    people = {viewer.person_id: viewer.name}
    if viewer.kinds & ON_DUTY:
        rows = await SyncAlert.select().order_by(SyncAlert.created_at, ascending=False).limit(500)
        ids = [r["person_id"] for r in rows if r["person_id"]]
        people.update(await directory.names_in_scope(viewer.scope, ids))
    else:
        rows = await SyncAlert.select().where(SyncAlert.person_id == viewer.person_id)
    found = []
    for row in rows:
        if row["person_id"] not in people:
            continue  # outside the viewer's scope
        detail = row["detail"] if isinstance(row["detail"], dict) else json.loads(row["detail"])
        found.append(
            Alert(
                row["kind"],
                people[row["person_id"]],
                row["device_id"],
                [_span(m) for m in list(detail.get("missing", []))[:50]],
                int(detail.get("count", 0)),
                row["created_at"],
                tuple(_titles(detail.get("titles", []))[:50]),
                row["person_id"],
            )
        )
    return found[:limit]


def _titles(items: list[Any]) -> list[str]:
    """Each lost item by what it was: its kind as the pages call it, and its words."""
    names = labels()
    found = []
    for item in items:
        kind, summary = [*item, "", ""][:2] if isinstance(item, list) else ("", "")
        name = names.get(kind, kind)
        found.append(f"{name}：{summary}" if summary else name)
    return found


async def lost_on_my_phones(viewer: Viewer, days: int = 14) -> list[Alert]:
    """What the person's own phones lost lately, for their home: they are the one who can
    enter it again."""
    since = datetime.now(UTC) - timedelta(days=days)
    return [
        a
        for a in await alerts(viewer)
        if a.person_id == viewer.person_id and a.created_at and _aware(a.created_at) >= since
    ]


def _aware(moment: Any) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _span(item: Any) -> str:
    """A range [first, last] as "first-last" (alerts before ranges listed single numbers)."""
    if isinstance(item, list) and len(item) == 2:
        return str(item[0]) if item[0] == item[1] else f"{item[0]}-{item[1]}"
    return str(item)


def record_url(entity: str, record_id: uuid.UUID) -> str:
    adapter = ADAPTERS.get(entity)
    return adapter.url(record_id) if adapter else ""


async def resolve(viewer: Viewer, conflict_id: uuid.UUID, choice: str) -> store.Result:
    """Settle a conflict the viewer can see (their own, or one in a supervisor's scope)."""
    if not await conflicts(viewer, conflict_id=conflict_id):
        raise NotFound(N_("This conflict does not exist, or you cannot see it."))
    database = db.current()
    try:
        async with database.write():
            await database.serialize("sync")
            return await store.resolve(
                conflict_id, choice, author_of(viewer), ADAPTERS, now_ms=now_ms()
            )
    except store.AlreadyResolved as exc:
        raise StateConflict(N_("Someone settled this conflict already.")) from exc
