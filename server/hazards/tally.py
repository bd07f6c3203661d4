"""The figures' rollup: hazards counted per grid, report day, category, level, status and
tenths of days to close (`HazardTally`), so that a year's figures add up a few thousand
tallies instead of reading half a million hazards (1.3 s for a year at 200,000 a year).

Kept in the transaction of every hazard write (adapter.save): the hazard's key before the
change loses one, its key after gains one. Rows written around the app (a bulk load) are
counted by `rebuild()` (`gridwatch tally`); `gridwatch migrate` rebuilds an empty tally of a
database that has hazards (the upgrade that brings this table).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from server import db, localtime
from server.hazards.tables import Hazard, HazardTally

_SOURCE = (
    Hazard.id,
    Hazard.area_path,
    Hazard.reported_at,
    Hazard.category,
    Hazard.level,
    Hazard.status,
    Hazard.closed_at,
)
UPSERT = (
    "INSERT INTO hazard_tally (key, area_path, day, category, level, status, tenths, n) "
    "VALUES {values} ON CONFLICT (key) DO UPDATE SET n = hazard_tally.n + excluded.n"
)
#: tallies per INSERT statement (SQLite allows 32,766 parameters; a tally has 8)
CHUNK = 500


@dataclass(frozen=True)
class Key:
    area_path: str
    day: str
    category: str
    level: str
    status: str
    tenths: int

    @property
    def text(self) -> str:
        return "|".join(
            (self.area_path, self.day, self.category, self.level, self.status, str(self.tenths))
        )


def key_of(row: Mapping[str, Any]) -> Key:
    """A hazard's tally (its stored columns, or the ones a write is about to store)."""
    closed, reported = row.get("closed_at"), row["reported_at"]
    tenths = (
        round((closed - reported).total_seconds() / 8640)
        if row["status"] == "closed" and closed is not None
        else 0
    )
    return Key(
        row["area_path"],
        reported.astimezone(localtime.ZONE).date().isoformat(),
        row["category"],
        row["level"],
        row["status"],
        max(0, tenths),
    )


async def current(record_id: uuid.UUID) -> Key | None:
    row = await Hazard.select(*_SOURCE).where(Hazard.id == record_id).first()
    return key_of(row) if row else None


async def move(before: Key | None, after: Key | None) -> None:
    """One hazard went from one tally to another (created: from none), in the caller's
    transaction."""
    if before == after:
        return
    change: Counter[Key] = Counter()
    if before is not None:
        change[before] -= 1
    if after is not None:
        change[after] += 1
    await add(change)


async def add(change: Counter[Key]) -> None:
    items = [(k, n) for k, n in change.items() if n]
    for at in range(0, len(items), CHUNK):
        part = items[at : at + CHUNK]
        # only placeholders are joined into the text: every value travels as a parameter
        values = ", ".join("({}, {}, {}, {}, {}, {}, {}, {})" for _ in part)
        args = [
            v
            for k, n in part
            for v in (k.text, k.area_path, k.day, k.category, k.level, k.status, k.tenths, n)
        ]
        sql = UPSERT.format(values=values)
        await HazardTally.raw(sql, *args)


async def rebuild(batch: int = 10_000) -> int:
    """Count every hazard again (in id order, a batch at a time); returns the hazards."""
    database = db.current()
    counted = 0
    async with database.write():
        await HazardTally.delete(force=True)
        last = None
        while True:
            query = Hazard.select(*_SOURCE).order_by(Hazard.id).limit(batch)
            rows = await (query.where(Hazard.id > last) if last is not None else query)
            if not rows:
                return counted
            await add(Counter(key_of(r) for r in rows))
            counted += len(rows)
            last = rows[-1]["id"]


async def ensure() -> bool:
    """Rebuild an empty tally of a database with hazards; True when it did."""
    if await HazardTally.exists() or not await Hazard.exists():
        return False
    await rebuild()
    return True
