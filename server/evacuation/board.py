"""What staff watch during an evacuation: households to move, moved, refused, unreached by
village and zone, shelters' occupancy against capacity, and the list of those not yet safe.
Counts are one grouped query over the roster, so the board stays fast at 50,000 households;
the list is a page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from piccolo.querystring import QueryString

from server.directory import service as directory
from server.evacuation import planning, shelters
from server.evacuation.kinds import Mark
from server.evacuation.records import EvacRecord, RowRecord, ShelterRecord, ZoneRecord
from server.evacuation.service import with_households
from server.evacuation.tables import EvacRow, Evacuation, Shelter

UNREACHED_PAGE = 50
NAMES = ("moved", "self_moved", "refused", "unreached")


@dataclass
class Tally:
    households: int = 0
    people: int = 0
    moved: int = 0
    self_moved: int = 0
    refused: int = 0
    unreached: int = 0
    to_move: int = 0
    #: special-needs households not marked safe (to move or unreached)
    special_open: int = 0
    #: people counted out of the danger zone (heads marked, else the household's number)
    people_out: int = 0
    inside: int = 0

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def safe(self) -> int:
        return self.moved + self.self_moved

    @property
    def percent(self) -> int:
        return round(100 * self.safe / self.households) if self.households else 0


def _sum(condition: str, alias: str, what: str = "1") -> QueryString:
    return QueryString(f"SUM(CASE WHEN {condition} THEN {what} ELSE 0 END)", alias=alias)


_SAFE = "mark IN ('moved', 'self_moved')"
_COLUMNS = (
    QueryString("COUNT(*)", alias="households"),
    QueryString("SUM(people)", alias="people"),
    *(_sum(f"mark = '{m}'", m) for m in NAMES),
    _sum("mark = ''", "to_move"),
    _sum("special AND mark IN ('', 'unreached')", "special_open"),
    _sum(_SAFE, "people_out", "COALESCE(heads, people)"),
    _sum("checked_in_at IS NOT NULL AND checked_out_at IS NULL", "inside"),
)


@dataclass
class Board:
    total: Tally
    villages: list[tuple[str, str, Tally]]
    zones: list[tuple[ZoneRecord, Tally]]
    shelters: list[ShelterRecord]
    open_rows: list[RowRecord]
    names: dict[str, str] = field(default_factory=dict)


def _tally(row: dict[str, Any]) -> Tally:
    return Tally(**{k: int(row.get(k) or 0) for k in Tally.__dataclass_fields__})


async def tallies(evacuation_id: Any) -> list[dict[str, Any]]:
    """One grouped query: the counts of each (village, zone)."""
    return (
        await EvacRow.select(EvacRow.village_path, EvacRow.zone_id, *_COLUMNS)
        .where((EvacRow.evacuation_id == evacuation_id) & EvacRow.removed.eq(False))
        .group_by(EvacRow.village_path, EvacRow.zone_id)
    )


async def board(evacuation: EvacRecord) -> Board:
    grouped = await tallies(evacuation.id)
    total, villages, by_zone = Tally(), {}, {}
    for row in grouped:
        t = _tally(row)
        total.add(t)
        villages.setdefault(row["village_path"], Tally()).add(t)
        by_zone.setdefault(row["zone_id"], Tally()).add(t)
    zones = await planning.zones_by_id(evacuation.zone_ids)
    names = await directory.area_names(list(villages))
    open_rows = await (
        EvacRow.select()
        .where(
            (EvacRow.evacuation_id == evacuation.id)
            & EvacRow.removed.eq(False)
            & EvacRow.mark.is_in(["", Mark.unreached.value])
        )
        .order_by(EvacRow.special, ascending=False)
        .order_by(EvacRow.area_path)
        .limit(UNREACHED_PAGE)
    )
    return Board(
        total,
        sorted(((p, names.get(p, p), t) for p, t in villages.items()), key=lambda v: v[0]),
        [(zones[z], by_zone.get(z, Tally())) for z in evacuation.zone_ids if z in zones],
        await shelters_of(evacuation, list(zones.values())),
        await with_households(open_rows),
        names,
    )


async def shelters_of(evacuation: EvacRecord, zones: list[ZoneRecord]) -> list[ShelterRecord]:
    """The shelters planned for its zones and any its people checked into, with occupancy."""
    ids = {s for z in zones for s in z.shelter_ids}
    for column in (EvacRow.checkin_shelter_id, EvacRow.shelter_id):
        # the few shelters named, not a row per household (the board is read on every change)
        used = (
            await EvacRow.select(column)
            .where((EvacRow.evacuation_id == evacuation.id) & column.is_not_null())
            .distinct()
        )
        ids |= {r[column._meta.name] for r in used}
    if not ids:
        return []
    rows = await Shelter.select().where(Shelter.id.is_in(list(ids))).order_by(Shelter.code)
    return await shelters.with_occupancy(rows)


@dataclass(frozen=True)
class Figures:
    """Totals over evacuations of one kind: real ones or drills, never mixed."""

    evacuations: int
    tally: Tally


async def figures(evacuations: list[EvacRecord]) -> tuple[Figures, Figures]:
    """(real, drills) over these evacuations: one grouped query over their rosters."""
    drill = {e.id: e.drill for e in evacuations}
    totals = {False: Tally(), True: Tally()}
    if drill:
        rows = await (
            EvacRow.select(EvacRow.evacuation_id, *_COLUMNS)
            .where(EvacRow.evacuation_id.is_in(list(drill)) & EvacRow.removed.eq(False))
            .group_by(EvacRow.evacuation_id)
        )
        for row in rows:
            totals[drill[row["evacuation_id"]]].add(_tally(row))
    counts = {flag: sum(1 for d in drill.values() if d is flag) for flag in (False, True)}
    return Figures(counts[False], totals[False]), Figures(counts[True], totals[True])


async def version(evacuation_id: Any) -> int:
    row = await Evacuation.select(Evacuation.version).where(Evacuation.id == evacuation_id).first()
    return row["version"] if row else -1
