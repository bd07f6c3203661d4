"""Reading what changed: the scoped change feed and the conflict inbox.

Scope is the caller's business: it passes a function that turns a path column into a WHERE
clause (None: sees everything), so this module knows nothing of areas or posts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.columns import Column
from piccolo.columns.combination import Combinable

from sync.tables import SyncChange, SyncConflict

ScopeWhere = Callable[[Column], Combinable | None]
MAX_PAGE = 500


@dataclass(frozen=True)
class Entry:
    pos: int
    seq: int
    entity: str
    record_id: uuid.UUID
    url: str
    removed: bool


@dataclass(frozen=True)
class FeedPage:
    entries: list[Entry]
    #: pass as `since` to get the next page
    cursor: int
    more: bool


async def changes(
    since: int, scope: ScopeWhere, person_id: uuid.UUID | None, limit: int = 200
) -> FeedPage:
    limit = max(1, min(limit, MAX_PAGE))
    where: Combinable = SyncChange.pos > since
    visible = scope(SyncChange.scope_path)
    if visible is not None:
        if person_id is not None:
            visible = visible | (SyncChange.assignee_id == person_id)
        where = where & visible
    rows = await SyncChange.select().where(where).order_by(SyncChange.pos).limit(limit + 1)
    entries = [
        Entry(r["pos"], r["seq"], r["entity"], r["record_id"], r["url"], r["removed"] == "y")
        for r in rows[:limit]
    ]
    cursor = entries[-1].pos if entries else since
    return FeedPage(entries, cursor, more=len(rows) > limit)


@dataclass(frozen=True)
class ConflictView:
    id: uuid.UUID
    entity: str
    record_id: uuid.UUID
    field: str
    kind: str
    server_value: Any
    incoming_value: Any
    winner: str
    person_id: uuid.UUID | None
    created_at: datetime
    resolved_at: datetime | None


async def inbox(
    scope: ScopeWhere,
    person_id: uuid.UUID | None,
    *,
    open_only: bool = True,
    limit: int = 100,
    conflict_id: uuid.UUID | None = None,
) -> list[ConflictView]:
    """Conflicts of records in the person's scope and of their own values (sent, or stored and
    contested by another)."""
    where = scope(SyncConflict.scope_path)  # None: the whole city
    if where is not None and person_id is not None:
        mine = (SyncConflict.person_id == person_id) | (SyncConflict.server_person_id == person_id)
        where = where | mine
    if conflict_id is not None:
        one = SyncConflict.id == conflict_id
        where = one if where is None else where & one
    if open_only:
        unresolved = SyncConflict.resolved_at.is_null()
        where = unresolved if where is None else where & unresolved
    query = SyncConflict.select().order_by(SyncConflict.seq, ascending=False).limit(limit)
    if where is not None:
        query = query.where(where)
    rows = await query.output(load_json=True)
    return [
        ConflictView(
            r["id"],
            r["entity"],
            r["record_id"],
            r["field"],
            r["kind"],
            r["server_value"].get("value"),
            r["incoming_value"].get("value"),
            r["winner"],
            r["person_id"],
            r["created_at"],
            r["resolved_at"],
        )
        for r in rows
    ]
