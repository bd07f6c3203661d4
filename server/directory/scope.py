"""The one scoping helper: what lies under a person's posts, as a WHERE clause.

Every list and read of scoped data goes through `Scope.where()`. A subtree is a prefix of the
materialized path: GLOB 'prefix*' on SQLite (which uses the plain index, unlike LIKE) and
LIKE 'prefix%' on PostgreSQL (served by the varchar_pattern_ops index of the migration).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from piccolo.columns import Column
from piccolo.columns.combination import Combinable, WhereRaw
from piccolo.engine.sqlite import SQLiteEngine

#: paths are made of area codes: digits, letters and "-" between slashes; nothing to escape
_PATH = re.compile(r"^/([0-9A-Za-z-]+/)+$")


def is_path(text: str) -> bool:
    """`text` is an area path (/C1/D2/): what a query may filter on."""
    return bool(_PATH.match(text))


def under(column: Column, prefix: str) -> Combinable:
    """`column` lies in the subtree whose path is `prefix` (the area itself included)."""
    if not _PATH.match(prefix):
        raise ValueError(f"not an area path: {prefix!r}")
    if isinstance(column._meta.table._meta.db, SQLiteEngine):
        return WhereRaw(f"{column._meta.get_full_name(with_alias=False)} GLOB {{}}", prefix + "*")
    return column.like(prefix + "%")


def contains(column: Column, text: str) -> Combinable:
    """Case-insensitive substring search (LIKE on SQLite is already case-insensitive)."""
    cleaned = text.replace("%", "").replace("_", "").replace("\\", "")
    if isinstance(column._meta.table._meta.db, SQLiteEngine):
        return column.like(f"%{cleaned}%")
    return column.ilike(f"%{cleaned}%")


def all_of(*clauses: Combinable | None) -> Combinable | None:
    """The clauses joined with AND; None ones (nothing to filter) left out."""
    kept = [c for c in clauses if c is not None]
    if not kept:
        return None
    combined = kept[0]
    for clause in kept[1:]:
        combined = combined & clause
    return combined


def nothing() -> Combinable:
    return WhereRaw("1 = 0")


@dataclass(frozen=True)
class Scope:
    """Subtrees of areas (by path) and single places a person's posts cover."""

    person_id: uuid.UUID | None
    everything: bool = False
    prefixes: tuple[str, ...] = ()
    place_ids: tuple[uuid.UUID, ...] = ()
    #: departments whose transferred cases the person handles (department staff)
    department_ids: tuple[uuid.UUID, ...] = ()

    @classmethod
    def of(
        cls,
        person_id: uuid.UUID | None,
        prefixes: list[str],
        place_ids: list[uuid.UUID],
        everything: bool = False,
        department_ids: Sequence[uuid.UUID] = (),
    ) -> Scope:
        # A subtree inside another adds nothing: keep the outermost ones only.
        kept: list[str] = []
        for prefix in sorted(set(prefixes), key=lambda p: (len(p), p)):
            if not any(prefix.startswith(k) for k in kept):
                kept.append(prefix)
        return cls(
            person_id,
            everything,
            tuple(kept),
            tuple(dict.fromkeys(place_ids)),
            tuple(dict.fromkeys(department_ids)),
        )

    def covers_path(self, path: str) -> bool:
        return self.everything or any(path.startswith(p) for p in self.prefixes)

    def sees_ancestor(self, path: str) -> bool:
        """An area above one of ours: its name may be shown (breadcrumbs), not its contents."""
        return any(p.startswith(path) and p != path for p in self.prefixes)

    def where(
        self,
        path_column: Column,
        *,
        place_column: Column | None = None,
        assignee_column: Column | None = None,
        department_column: Column | None = None,
    ) -> Combinable | None:
        """The WHERE clause limiting rows to this scope; None when nothing is hidden."""
        if self.everything:
            return None
        clauses: list[Combinable] = [under(path_column, p) for p in self.prefixes]
        if place_column is not None and self.place_ids:
            clauses.append(place_column.is_in(list(self.place_ids)))
        if assignee_column is not None and self.person_id is not None:
            clauses.append(assignee_column == self.person_id)
        if department_column is not None and self.department_ids:
            clauses.append(department_column.is_in(list(self.department_ids)))
        if not clauses:
            return nothing()
        combined = clauses[0]
        for clause in clauses[1:]:
            combined = combined | clause
        return combined
