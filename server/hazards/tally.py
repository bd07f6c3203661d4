"""The figures' rollup: hazards counted per town, local report day, status, majorness and
whole days to close (`HazardTally`), so that a city's figures for a year add up some tens of
thousands of tallies instead of reading half a million hazards (2.9 s for a year at a
million hazards in bench/city.py).

A town is the finest area the rollup knows: figures for a city or a district (their rows are
districts or towns) come from it; a town's figures (rows of villages) read the town's own
hazards, which are few. The days to close are the engine's own arithmetic
(`db.seconds_between`, floored), the same expression the index `hazard_close_span` is built
on, so that the median found in the tally's histogram is fetched from that index exactly.

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

from piccolo.querystring import QueryString

from server import db, localtime
from server.hazards.policy import Level, Status
from server.hazards.tables import Hazard, HazardTally

#: path segments down to a town: /city/district/town/
TOWN_DEPTH = 3
SECONDS_A_DAY = 86400
UPSERT = (
    "INSERT INTO hazard_tally (key, area_path, day, status, major, days, n) "
    "VALUES {values} ON CONFLICT (key) DO UPDATE SET n = hazard_tally.n + excluded.n"
)
#: tallies per INSERT statement (SQLite allows 32,766 parameters; a tally has 7)
CHUNK = 500


def span() -> QueryString:
    """Seconds from report to closure, as the index `hazard_close_span` computes them."""
    return db.seconds_between(Hazard.closed_at, Hazard.reported_at)


def _source() -> tuple[Any, ...]:
    return (
        Hazard.id,
        Hazard.area_path,
        Hazard.reported_at,
        Hazard.status,
        Hazard.level,
        QueryString("{}", span(), alias="span"),
    )


def town_of(path: str) -> str:
    """The path cut at the town (a coarser path stays as it is)."""
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts[:TOWN_DEPTH]) + "/" if parts else "/"


def depth(path: str) -> int:
    return len([p for p in path.split("/") if p])


def whole_days(seconds: Any) -> int:
    """Floored, never below 0: the bucket of a span in the engine's own seconds."""
    return max(0, int(float(seconds) // SECONDS_A_DAY))


@dataclass(frozen=True)
class Key:
    area_path: str
    day: str
    status: str
    major: bool
    days: int

    @property
    def text(self) -> str:
        return "|".join(
            (self.area_path, self.day, self.status, str(int(self.major)), str(self.days))
        )


def key_of(row: Mapping[str, Any]) -> Key:
    """A hazard's tally, from its stored columns and its span."""
    closed = row["status"] == Status.closed.value and row.get("span") is not None
    return Key(
        town_of(row["area_path"]),
        row["reported_at"].astimezone(localtime.ZONE).date().isoformat(),
        row["status"],
        row["level"] == Level.major.value,
        whole_days(row["span"]) if closed else 0,
    )


async def current(record_id: uuid.UUID) -> Key | None:
    row = await Hazard.select(*_source()).where(Hazard.id == record_id).first()
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
        values = ", ".join("({}, {}, {}, {}, {}, {}, {})" for _ in part)
        args = [
            v for k, n in part for v in (k.text, k.area_path, k.day, k.status, k.major, k.days, n)
        ]
        await HazardTally.raw(UPSERT.format(values=values), *args)


async def rebuild(batch: int = 20_000) -> int:
    """Count every hazard again (in id order, a batch at a time); returns the hazards.
    Behind the lock every hazard write takes: no write lands half counted, and two
    rebuilds at once (two `gridwatch migrate`) run one after the other."""
    counted = 0
    database = db.current()
    async with database.write():
        await database.serialize("sync")
        await HazardTally.delete(force=True)
        last = None
        while True:
            query = Hazard.select(*_source()).order_by(Hazard.id).limit(batch)
            rows = await (query.where(Hazard.id > last) if last is not None else query)
            if not rows:
                await HazardTally.raw("ANALYZE hazard_tally")  # the planner's statistics
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
