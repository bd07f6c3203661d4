"""Importing evacuation plans from CSV (as the directory's import: UTF-8 or GBK, Chinese or
English column names, every bad row by line, nothing imported while any row is bad):
shelters, then danger zones (naming their shelters), then households (naming their zone,
grid, keeper and special-needs residents). A code already registered is left as it is.

Each kind is planned within a scope: the station imports its own town's plans; the
command line (`gridwatch import shelters|zones|households`) imports anywhere."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from server.console.importer import ImportKind, Report, Rows, Step, parse_polygon, report_all
from server.directory import rules
from server.directory.kinds import Level, PostKind
from server.directory.records import AreaRecord
from server.directory.scope import Scope
from server.directory.service import area_by_code, person_by_mobile, posts_of
from server.evacuation import planning
from server.evacuation.kinds import Need, ShelterLevel, ZoneKind
from server.evacuation.tables import DangerZone, Household, Shelter
from server.i18n import N_

SHELTER_LEVELS = {
    **{k.value: k for k in ShelterLevel},
    **dict.fromkeys(("县级", "县", "区", "县级安置场所", "区级"), ShelterLevel.county),
    **dict.fromkeys(
        ("乡镇级", "镇级", "乡镇", "镇", "乡", "街道", "乡镇级安置场所"), ShelterLevel.town
    ),
    **dict.fromkeys(("村级", "村", "社区", "村级安置场所"), ShelterLevel.village),
}
ZONE_KINDS = {
    **{k.value: k for k in ZoneKind},
    **dict.fromkeys(("山洪", "山洪危险区"), ZoneKind.flash_flood),
    **dict.fromkeys(("地质灾害", "地灾", "地质灾害危险区"), ZoneKind.geohazard),
    **dict.fromkeys(("低洼易涝", "低洼易涝区", "易涝"), ZoneKind.low_lying),
    **dict.fromkeys(("危房", "危旧房"), ZoneKind.dangerous_house),
    **dict.fromkeys(("堤防背水侧", "背水侧"), ZoneKind.levee_back),
}
NEEDS = {
    **{k.value: k for k in Need},
    **dict.fromkeys(("孤寡老人", "孤寡"), Need.elderly_alone),
    **dict.fromkeys(("残疾人", "残疾"), Need.disabled),
    **dict.fromkeys(("独居", "独居老人"), Need.living_alone),
    **dict.fromkeys(("卧床", "失能"), Need.bedridden),
    **dict.fromkeys(("孕妇", "孕产妇"), Need.pregnant),
}
#: a cell of several codes or people: 、 ; ； | or spaces between them (a comma ends the cell)
_SEPARATORS = re.compile(r"[、;；|\s]+")
#: 王阿婆(孤寡老人) or 王阿婆（孤寡老人）
_PERSON = re.compile(r"^(?P<name>[^()（）]+)[(（](?P<need>[^()（）]+)[)）]$")
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
MAX_CAPACITY, MAX_PEOPLE = 100_000, 200
UNKNOWN_LEVEL = N_("Unknown shelter level: %(value)s")
CAPACITY = N_("The capacity is a whole number of people from %(low)s to %(high)s: %(value)s")
UNKNOWN_ZONE_KIND = N_("Unknown kind of danger zone: %(value)s")
OUTSIDE = N_("%(code)s is outside the areas you may plan for")


def split_codes(cell: str) -> list[str]:
    return [part for part in _SEPARATORS.split(cell.strip()) if part]


def parse_whole(
    text: str, low: int, high: int, message: str
) -> tuple[int | None, rules.Problem | None]:
    try:
        value = int(text.strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        return None, (message, {"value": text, "low": low, "high": high})
    return value, None


def parse_appraised(text: str) -> tuple[str, rules.Problem | None]:
    """2024-05-10, 2024/5/10 or 2024年5月10日 as 2024-05-10; empty: never appraised."""
    if not text:
        return "", None
    found = _DATE.match(text.strip())
    try:
        if found is None:
            raise ValueError
        day = date(*(int(g) for g in found.groups()))
    except ValueError:
        return "", (N_("Not a date (2024-05-10): %(value)s"), {"value": text})
    if day > date.today():
        return "", (N_("The appraisal date is in the future: %(value)s"), {"value": text})
    return day.isoformat(), None


async def by_codes(table: Any, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Registered rows by code, read 500 codes to a query (a city's file is 50,000 rows)."""
    wanted = list(dict.fromkeys(codes))
    found: dict[str, dict[str, Any]] = {}
    for at in range(0, len(wanted), 500):
        for row in await table.select().where(table.code.is_in(wanted[at : at + 500])):
            found[row["code"]] = row
    return found


class _Areas:
    """Areas by code, each read once for a file, and whether the scope may plan in them."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self._known: dict[str, AreaRecord | None] = {}

    async def get(self, code: str) -> AreaRecord | None:
        if code not in self._known:
            self._known[code] = await area_by_code(code)
        return self._known[code]

    async def check(
        self, code: str, levels: tuple[Level, ...]
    ) -> tuple[AreaRecord | None, rules.Problem | None]:
        area = await self.get(code)
        if area is None or area.level not in levels:
            return None, (N_("No area has the code %(code)s"), {"code": code})
        if not self.scope.covers_path(area.path):
            return None, (OUTSIDE, {"code": code})
        return area, None


def _code_problems(code: str, seen: set[str]) -> list[rules.Problem | None]:
    problems = [rules.check_place_code(code)]
    if code in seen:
        problems.append((N_("Code %(code)s appears twice in the file"), {"code": code}))
    seen.add(code)
    return problems


async def plan_shelters(rows: Rows, report: Report, scope: Scope) -> list[Step]:
    areas = _Areas(scope)
    registered = await by_codes(Shelter, (row["code"] for _line, row in rows))
    seen: set[str] = set()
    steps: list[Step] = []
    for line, row in rows:
        code = row["code"]
        level, level_problem = rules.parse_choice(row["level"], SHELTER_LEVELS, UNKNOWN_LEVEL)
        area, area_problem = await areas.check(
            row["area_code"], (Level.district, Level.town, Level.village)
        )
        capacity, capacity_problem = parse_whole(row["capacity"], 1, MAX_CAPACITY, CAPACITY)
        appraised, date_problem = parse_appraised(row.get("appraised_on", ""))
        position, coord_problem = rules.parse_coordinates(row.get("lat", ""), row.get("lng", ""))
        manager_id, manager_problem = None, None
        if mobile := row.get("manager_mobile", "").replace(" ", ""):
            person = await person_by_mobile(mobile)
            manager_id = person.id if person else None
            if person is None:
                manager_problem = (N_("Nobody is registered with %(mobile)s"), {"mobile": mobile})
        problems = [
            *_code_problems(code, seen),
            rules.check_name(row["name"], 120),
            level_problem, area_problem, capacity_problem, date_problem, coord_problem,
            manager_problem,
        ]  # fmt: skip
        if report_all(report, line, problems):
            continue
        if code in registered:
            report.skipped += 1
            continue
        assert area is not None and capacity is not None
        details = {
            "manager_id": manager_id,
            "address": row.get("address", "")[:255],
            "facilities": row.get("facilities", "")[:300],
            "appraised_on": appraised,
            "position": position,
        }
        steps.append(_shelter_step(code, row["name"], level, area, capacity, details))  # type: ignore[arg-type]
        report.created += 1
    return steps


def _shelter_step(
    code: str, name: str, level: ShelterLevel, area: AreaRecord, capacity: int, details: dict
) -> Step:
    async def step() -> None:
        await planning.create_shelter(code, name, level, area, capacity, **details)

    return step


async def plan_zones(rows: Rows, report: Report, scope: Scope) -> list[Step]:
    areas = _Areas(scope)
    registered = await by_codes(DangerZone, (row["code"] for _line, row in rows))
    shelters = await by_codes(
        Shelter, (c for _line, row in rows for c in split_codes(row.get("shelter_codes", "")))
    )
    seen: set[str] = set()
    steps: list[Step] = []
    for line, row in rows:
        code = row["code"]
        kind, kind_problem = rules.parse_choice(row["kind"], ZONE_KINDS, UNKNOWN_ZONE_KIND)
        village, area_problem = await areas.check(row["area_code"], (Level.village,))
        polygon, polygon_problem = parse_polygon(row.get("polygon", ""))
        planned = split_codes(row.get("shelter_codes", ""))
        problems = [
            *_code_problems(code, seen),
            rules.check_name(row["name"], 120),
            kind_problem, area_problem, polygon_problem,
        ]  # fmt: skip
        for shelter_code in planned:
            if shelter_code not in shelters:
                problems.append((N_("No shelter has the code %(code)s"), {"code": shelter_code}))
        if not planned:
            problems.append((N_("Name the zone's shelters, first choice first"), {}))
        if report_all(report, line, problems):
            continue
        if code in registered:
            report.skipped += 1
            continue
        assert village is not None
        shelter_ids = [shelters[c]["id"] for c in dict.fromkeys(planned)]
        steps.append(
            _zone_step(code, row["name"], kind, village, shelter_ids, polygon, row.get("note", ""))  # type: ignore[arg-type]
        )
        report.created += 1
    return steps


def _zone_step(
    code: str,
    name: str,
    kind: ZoneKind,
    village: AreaRecord,
    shelter_ids: list[uuid.UUID],
    polygon: dict | None,
    note: str,
) -> Step:
    async def step() -> None:
        await planning.create_zone(code, name, kind, village, shelter_ids, polygon, note[:300])

    return step


#: how a need is written in a cell (the files are Chinese whatever the page's language)
NEED_WORDS = {
    Need.elderly_alone: "孤寡老人", Need.disabled: "残疾人", Need.living_alone: "独居",
    Need.bedridden: "卧床", Need.pregnant: "孕妇",
}  # fmt: skip


def special_text(residents: list[dict[str, Any]]) -> str:
    """A household's special-needs residents as the cell is written: 王阿婆(孤寡老人)、..."""
    return "、".join(
        f"{r['name']}({NEED_WORDS[Need(r['need'])]})" for r in residents if r["need"] in NEEDS
    )


def _special(cell: str) -> tuple[list[planning.ResidentIn], list[rules.Problem]]:
    """王阿婆(孤寡老人)、李伯(残疾人) as residents with their needs."""
    residents, problems = [], []
    for part in split_codes(cell):
        found = _PERSON.match(part)
        need = NEEDS.get(found["need"].strip()) if found else None
        if found is None or need is None:
            problems.append(
                (
                    N_(
                        "Write each special-needs person as 姓名(孤寡老人/残疾人/独居/卧床/孕妇): "
                        "%(value)s"
                    ),
                    {"value": part},
                )
            )
            continue
        residents.append(planning.ResidentIn(found["name"].strip()[:50], need))
    return residents, problems


class Keepers:
    """A keeper's mobile -> their 结对包保人 posts (path, id), each person read once."""

    def __init__(self) -> None:
        self._posts: dict[str, list[tuple[str, uuid.UUID]] | None] = {}

    async def post_over(
        self, mobile: str, path: str
    ) -> tuple[uuid.UUID | None, rules.Problem | None]:
        if mobile not in self._posts:
            person = await person_by_mobile(mobile)
            self._posts[mobile] = (
                None
                if person is None
                else [
                    (p.area_path, p.id)
                    for p in await posts_of(person.id)
                    if p.kind is PostKind.household_keeper and p.active and p.area_path
                ]
            )
        posts = self._posts[mobile]
        if posts is None:
            return None, (N_("Nobody is registered with %(mobile)s"), {"mobile": mobile})
        for area_path, post_id in posts:
            if path.startswith(area_path):
                return post_id, None
        return None, (
            N_("%(mobile)s holds no household keeper (结对包保人) post over this grid"),
            {"mobile": mobile},
        )


@dataclass(frozen=True)
class HouseholdFields:
    """A household's own fields as a row or the edit form gives them, checked."""

    head_name: str
    people: int
    mobile: str
    address: str
    keeper_post_id: uuid.UUID | None
    special: list[planning.ResidentIn]

    @property
    def residents(self) -> list[planning.ResidentIn]:
        return [planning.ResidentIn(self.head_name, mobile=self.mobile), *self.special]


async def household_fields(
    row: dict[str, str], grid_path: str | None, keepers: Keepers
) -> tuple[HouseholdFields | None, list[rules.Problem | None]]:
    """head_name, people, mobile, address, keeper_mobile, special: the fields, or problems
    (the keeper is checked over `grid_path` when there is one)."""
    people, people_problem = parse_whole(
        row.get("people", ""), 1, MAX_PEOPLE,
        N_("The number of people is a whole number from %(low)s to %(high)s: %(value)s"),
    )  # fmt: skip
    mobile = row.get("mobile", "").replace(" ", "")
    special, special_problems = _special(row.get("special", ""))
    problems: list[rules.Problem | None] = [
        rules.check_name(row.get("head_name", "")), people_problem,
        rules.check_mobile(mobile) if mobile else None, *special_problems,
    ]  # fmt: skip
    keeper_id = None
    if keeper_mobile := row.get("keeper_mobile", "").replace(" ", ""):
        if grid_path is not None:
            keeper_id, keeper_problem = await keepers.post_over(keeper_mobile, grid_path)
            problems.append(keeper_problem)
    elif special:
        problems.append(
            (N_("A household with special-needs people needs their keeper's mobile"), {})
        )
    if any(problems) or people is None:
        return None, problems
    fields = HouseholdFields(
        row["head_name"][:50], people, mobile, row.get("address", "")[:255], keeper_id, special
    )
    return fields, problems


async def plan_households(rows: Rows, report: Report, scope: Scope) -> list[Step]:
    areas = _Areas(scope)
    registered = await by_codes(Household, (row["code"] for _line, row in rows))
    zones = await by_codes(DangerZone, (row["zone_code"] for _line, row in rows))
    keepers = Keepers()
    seen: set[str] = set()
    planned: list[planning.HouseholdIn] = []
    for line, row in rows:
        code = row["code"]
        zone = zones.get(row["zone_code"])
        grid, grid_problem = await areas.check(row["grid_code"], (Level.grid,))
        fields, problems = await household_fields(row, grid.path if grid else None, keepers)
        problems += [*_code_problems(code, seen), grid_problem]
        if zone is None:
            problems.append(
                (N_("No danger zone has the code %(code)s"), {"code": row["zone_code"]})
            )
        elif grid is not None and not grid.path.startswith(zone["area_path"]):
            problems.append(
                (N_("Grid %(grid)s is not in the village of zone %(zone)s"),
                 {"grid": row["grid_code"], "zone": row["zone_code"]})
            )  # fmt: skip
        if report_all(report, line, problems):
            continue
        if code in registered:
            report.skipped += 1
            continue
        assert grid is not None and zone is not None and fields is not None
        planned.append(
            planning.HouseholdIn(
                code=code, zone_id=zone["id"], area_path=grid.path,
                head_name=fields.head_name, people=fields.people, mobile=fields.mobile,
                address=fields.address, keeper_post_id=fields.keeper_post_id,
                residents=fields.residents,
            )
        )  # fmt: skip
        report.created += 1
    if not planned:
        return []

    async def step() -> None:
        await planning.create_households(planned)

    return [step]


def import_kinds(scope: Scope) -> dict[str, ImportKind]:
    """The plan files, checked against what `scope` may plan for."""

    def within(planner: Any) -> Any:
        async def plan(rows: Rows, report: Report) -> list[Step]:
            return await planner(rows, report, scope)

        return plan

    return {
        "shelters": ImportKind(
            N_("Shelters"),
            ("code", "name", "level", "area_code", "capacity"),
            within(plan_shelters),
        ),
        "zones": ImportKind(
            N_("Danger zones"),
            ("code", "name", "kind", "area_code", "shelter_codes"),
            within(plan_zones),
        ),
        "households": ImportKind(
            N_("Households and residents"),
            ("code", "zone_code", "grid_code", "head_name", "people"),
            within(plan_households),
        ),
    }
