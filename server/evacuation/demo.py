"""The demo city's evacuation plans (转移避险): shelters, danger zones and their households in
the flood and geohazard villages, added to the directory's demo (server/directory/demo.py)."""

from __future__ import annotations

from server.directory.demo import _Builder
from server.directory.demo_city import _town_post
from server.directory.kinds import PostKind
from server.directory.service import area_by_code, holders_at
from server.evacuation import planning
from server.evacuation.kinds import Need, ShelterLevel, ZoneKind

#: shelters: (area code, code, name, level, capacity, appraised on, manager's post kind there)
SHELTERS = [
    ("339901002001", "BN-QX-01", "清溪村文化礼堂避灾安置点", "village", 60, "2024-05-10",
     "village_committee"),
    ("339901002", "BN-QX-02", "清溪镇中心小学避灾安置场所", "town", 150, "2021-04-01",
     "safety_officer"),
    ("339922002001", "BN-TY-01", "桃源村村委会避灾安置点", "village", 50, "2025-03-15",
     "disaster_informant"),
    ("339922", "BN-JN-01", "江南县体育馆避灾安置中心", "county", 300, "2023-06-01", ""),
]  # fmt: skip
#: danger zones: (village code, code, name, kind, shelters first choice first, households)
ZONES = [
    ("339901002001", "WX-QX-01", "清溪村低洼易涝区", "low_lying", ["BN-QX-01", "BN-QX-02"], 6),
    ("339901002001", "WX-QX-02", "清溪河清溪村段堤防背水侧", "levee_back",
     ["BN-QX-02", "BN-QX-01"], 4),
    ("339901002003", "WX-XW-01", "下湾村低洼易涝区", "low_lying", ["BN-QX-02"], 5),
    ("339922002001", "WX-TY-01", "桃源村后山地质灾害危险区", "geohazard",
     ["BN-TY-01", "BN-JN-01"], 4),
    ("339922002001", "WX-TY-02", "桃源村山洪危险区", "flash_flood", ["BN-TY-01"], 3),
]  # fmt: skip
#: every how many households one has a special-needs resident, and the needs in turn
SPECIAL_EVERY = 3
NEEDS = ["elderly_alone", "disabled", "living_alone", "bedridden"]


async def load_plans(b: _Builder) -> None:
    """Shelters, danger zones and their households (a special-needs resident in every third,
    with a keeper of their grid: 结对包保人), in the flood and geohazard villages."""
    shelters = {}
    for area_code, code, name, level, capacity, appraised, manager_kind in SHELTERS:
        area = await area_by_code(area_code)
        manager = None
        if manager_kind:
            found = await holders_at(area.path, PostKind(manager_kind))
            manager = found[0] if found else None
        shelters[code] = await planning.create_shelter(
            code, name, ShelterLevel(level), area, capacity, manager_id=manager,
            address=f"{area.name}", facilities="床铺、饮用水、应急照明、医药箱",
            appraised_on=appraised,
        )  # fmt: skip
    keepers: dict[str, object] = {}
    households = []
    numbers: dict[str, int] = {}
    for village_code, code, name, kind, planned, count in ZONES:
        village = await area_by_code(village_code)
        zone_id = await planning.create_zone(
            code, name, ZoneKind(kind), village, [shelters[s] for s in planned]
        )
        for n in range(count):
            grid = await area_by_code(f"{village_code}-{n % 2 + 1:02d}")
            numbers[village_code] = numbers.get(village_code, 0) + 1
            head = b.name()
            residents = [planning.ResidentIn(head, mobile=f"1370000{len(households):04d}")]
            keeper = None
            if n % SPECIAL_EVERY == 0:
                need = Need(NEEDS[len(households) % len(NEEDS)])
                residents.append(planning.ResidentIn(b.name(), need, note="需搀扶"))
                if grid.path not in keepers:
                    chief = await _town_post(grid.path, PostKind.flood_admin)
                    keepers[grid.path] = await b.person(
                        PostKind.household_keeper, area=grid, superior=chief,
                        title=f"{grid.name}结对包保人",
                    )  # fmt: skip
                keeper = keepers[grid.path]
            households.append(
                planning.HouseholdIn(
                    code=f"{village_code}-H{numbers[village_code]:03d}",
                    zone_id=zone_id,
                    area_path=grid.path,
                    head_name=head,
                    people=2 + (len(households) % 4),
                    mobile=residents[0].mobile,
                    address=f"{village.name}{numbers[village_code]}号",
                    keeper_post_id=keeper,
                    residents=residents,
                )
            )
    await planning.create_households(households)
