"""What staff watch: a call-up's counts by state and by town, the silent list, how long
confirmations took; the after-action report; and figures across call-ups (drills apart).

Counts are aggregated by the database (one grouped query for states by town, one for the
time-to-confirm buckets), so a board over 100,000 targets stays fast; lists are pages."""

from __future__ import annotations

import asyncio
import statistics
import uuid
from dataclasses import dataclass, field

from piccolo.query.methods.select import Count
from piccolo.querystring import QueryString

from server.callups.records import CallupRecord, TargetRecord
from server.callups.service import with_people
from server.callups.tables import Callup, CallupTarget
from server.db import seconds_between
from server.directory import service as directory

PER_PAGE = 50
#: upper bounds (minutes) of the time-to-confirm buckets; the last is open-ended
BUCKETS = (1, 2, 5, 10, 20, 30, 60)


@dataclass
class Counts:
    total: int = 0
    confirmed: int = 0
    opened: int = 0
    delivered: int = 0
    waiting: int = 0
    escalated: int = 0

    @property
    def unconfirmed(self) -> int:
        return self.total - self.confirmed

    @property
    def percent(self) -> int:
        return round(100 * self.confirmed / self.total) if self.total else 0

    def add(self, other: Counts) -> None:
        for name in ("total", "confirmed", "opened", "delivered", "waiting", "escalated"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Board:
    counts: Counts
    towns: list[tuple[str, str, Counts]]
    buckets: list[tuple[str, int]]
    silent: list[TargetRecord]
    page: int
    pages: int
    names: dict[str, str] = field(default_factory=dict)

    # what the pager macro reads (templates/_macros.html)
    @property
    def number(self) -> int:
        return self.page

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _sum(condition: str, alias: str) -> QueryString:
    return QueryString(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)", alias=alias)


_STATES = (
    _sum("confirmed_at IS NOT NULL", "confirmed"),
    _sum("confirmed_at IS NULL AND opened_at IS NOT NULL", "opened"),
    _sum("confirmed_at IS NULL AND opened_at IS NULL AND delivered_at IS NOT NULL", "delivered"),
    _sum("confirmed_at IS NULL AND opened_at IS NULL AND delivered_at IS NULL", "waiting"),
    _sum("confirmed_at IS NULL AND rounds > 0", "escalated"),
)


def seconds_to_confirm() -> QueryString:
    """From being called to the trusted confirmation time."""
    return seconds_between(CallupTarget.confirmed_at, CallupTarget.called_at)


async def counts_by_town(callup_id: uuid.UUID) -> tuple[Counts, list[tuple[str, Counts]]]:
    rows = (
        await CallupTarget.select(CallupTarget.town_path, Count(alias="total"), *_STATES)
        .where(CallupTarget.callup_id == callup_id)
        .group_by(CallupTarget.town_path)
        .order_by(CallupTarget.town_path)
    )
    whole = Counts()
    towns = []
    for r in rows:
        c = Counts(**{k: int(r[k] or 0) for k in Counts.__dataclass_fields__})
        whole.add(c)
        towns.append((r["town_path"], c))
    return whole, towns


def _bucket_case() -> QueryString:
    spans = seconds_to_confirm()
    parts = " ".join(f"WHEN {{}} < {m * 60} THEN {i}" for i, m in enumerate(BUCKETS))
    return QueryString(
        f"CASE {parts} ELSE {len(BUCKETS)} END", *([spans] * len(BUCKETS)), alias="bucket"
    )


async def confirm_buckets(callup_id: uuid.UUID) -> list[tuple[str, int]]:
    rows = (
        await CallupTarget.select(_bucket_case(), Count(alias="n"))
        .where((CallupTarget.callup_id == callup_id) & CallupTarget.confirmed_at.is_not_null())
        .group_by(QueryString("bucket"))
    )
    found = {int(r["bucket"]): int(r["n"]) for r in rows}
    labels = [f"<{m}" for m in BUCKETS] + [f"≥{BUCKETS[-1]}"]
    return [(labels[i], found.get(i, 0)) for i in range(len(labels))]


async def silent(
    callup_id: uuid.UUID, page: int = 1, town: str = ""
) -> tuple[list[TargetRecord], int]:
    """The unconfirmed, longest-escalated first; a page of them, and how many pages."""
    where = (CallupTarget.callup_id == callup_id) & CallupTarget.confirmed_at.is_null()
    if town:
        where = where & (CallupTarget.town_path == town)
    total = await CallupTarget.count().where(where)
    rows = (
        await CallupTarget.select()
        .where(where)
        .order_by(CallupTarget.rounds, ascending=False)
        .order_by(CallupTarget.area_path)
        .limit(PER_PAGE)
        .offset((max(1, page) - 1) * PER_PAGE)
    )
    return await with_people(rows), max(1, -(-total // PER_PAGE))


async def board(callup: CallupRecord, page: int = 1, town: str = "") -> Board:
    # independent reads: on PostgreSQL they run at once on the pool's connections
    (whole, towns), buckets, (people, pages) = await asyncio.gather(
        counts_by_town(callup.id), confirm_buckets(callup.id), silent(callup.id, page, town)
    )
    names = await directory.area_names([t for t, _ in towns] + [p.area_path for p in people])
    return Board(
        counts=whole,
        towns=[(path, names.get(path, path or "—"), c) for path, c in towns],
        buckets=buckets,
        silent=people,
        page=page,
        pages=pages,
        names=names,
    )


@dataclass(frozen=True)
class Span:
    """After-action figures for a group of targets."""

    name: str
    targets: int
    confirmed: int
    in_window: int
    median_s: float | None
    p90_s: float | None

    @property
    def percent_in_window(self) -> int:
        return round(100 * self.in_window / self.targets) if self.targets else 0


def span(name: str, targets: int, seconds: list[float], window_s: int) -> Span:
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))] if ordered else None
    return Span(
        name,
        targets,
        len(ordered),
        sum(1 for s in ordered if s <= window_s),
        statistics.median(ordered) if ordered else None,
        p90,
    )


@dataclass(frozen=True)
class Report:
    callup: CallupRecord
    whole: Span
    towns: list[Span]
    villages: list[Span]
    answers: dict[str, int]


async def report(callup: CallupRecord) -> Report:
    """MTTA (median and p90 time to confirm), share confirmed within the window, by town and
    village. Unconfirmed targets count in the totals and never as in time."""
    rows = await CallupTarget.select(
        CallupTarget.town_path,
        CallupTarget.village_path,
        CallupTarget.answer,
        QueryString("{}", seconds_to_confirm(), alias="seconds"),
    ).where(CallupTarget.callup_id == callup.id)
    window = callup.window_minutes * 60
    groups: dict[str, dict[str, list]] = {"town": {}, "village": {}}
    answers: dict[str, int] = {}
    everyone: list[float] = []
    for r in rows:
        s = float(r["seconds"]) if r["seconds"] is not None else None
        for level, key in (("town", r["town_path"]), ("village", r["village_path"])):
            groups[level].setdefault(key, []).append(s)
        if s is not None:
            everyone.append(s)
            answers[r["answer"] or "received"] = answers.get(r["answer"] or "received", 0) + 1
    names = await directory.area_names(list(groups["town"]) + list(groups["village"]))

    def spans(level: str) -> list[Span]:
        return [
            span(names.get(k, k or "—"), len(v), [s for s in v if s is not None], window)
            for k, v in sorted(groups[level].items())
        ]

    return Report(
        callup, span("", len(rows), everyone, window), spans("town"), spans("village"), answers
    )


@dataclass(frozen=True)
class Figures:
    callups: int
    targets: int
    confirmed: int
    in_window: int

    @property
    def percent_in_window(self) -> int:
        return round(100 * self.in_window / self.targets) if self.targets else 0


async def figures(callups: list[CallupRecord], *, drill: bool) -> Figures:
    """Totals over the given call-ups that were sent: real ones and drills never mixed.
    Counted in the database, one query per confirmation window in use (a handful): a city's
    call-ups reach tens of thousands of people each."""
    chosen = [c for c in callups if c.drill == drill and c.issued_at is not None]
    if not chosen:
        return Figures(0, 0, 0, 0)
    by_window: dict[int, list[uuid.UUID]] = {}
    for c in chosen:
        by_window.setdefault(c.window_minutes, []).append(c.id)
    targets = confirmed = in_window = 0
    for minutes, ids in by_window.items():
        row = (
            await CallupTarget.select(
                Count(alias="total"),
                _sum("confirmed_at IS NOT NULL", "confirmed"),
                QueryString(
                    "SUM(CASE WHEN {} <= {} THEN 1 ELSE 0 END)",
                    seconds_to_confirm(),
                    minutes * 60,
                    alias="in_window",
                ),
            )
            .where(CallupTarget.callup_id.is_in(ids))
            .first()
        )
        if row:
            targets += int(row["total"] or 0)
            confirmed += int(row["confirmed"] or 0)
            in_window += int(row["in_window"] or 0)
    return Figures(len(chosen), targets, confirmed, in_window)


async def version(callup_id: uuid.UUID) -> int:
    row = await Callup.select(Callup.version).where(Callup.id == callup_id).first()
    return int(row["version"]) if row else -1
