"""The closed vocabularies of the directory, with their Chinese names (through the catalog)."""

from __future__ import annotations

from enum import StrEnum

from server.i18n import N_, gettext


class Level(StrEnum):
    city = "city"
    district = "district"
    town = "town"
    village = "village"
    grid = "grid"

    @property
    def label(self) -> str:
        return gettext(_LEVEL_LABELS[self])

    @property
    def parent(self) -> Level | None:
        index = LEVELS.index(self)
        return LEVELS[index - 1] if index else None


LEVELS = list(Level)
_LEVEL_LABELS = {
    Level.city: N_("City"),
    Level.district: N_("District / county"),
    Level.town: N_("Town / subdistrict"),
    Level.village: N_("Village / community"),
    Level.grid: N_("Grid"),
}


class PlaceKind(StrEnum):
    enterprise = "enterprise"
    shop = "shop"
    residential = "residential"
    construction = "construction"
    embankment = "embankment"
    reservoir = "reservoir"
    geohazard = "geohazard"
    #: flood-control works that hold flood-duty posts as dykes and reservoirs do
    sluice = "sluice"
    pumping_station = "pumping_station"
    pond = "pond"
    dangerous_house = "dangerous_house"
    #: 九小场所: small shops, restaurants, hostels, workshops... (fire-safety inspections)
    nine_small = "nine_small"
    crowded = "crowded"
    confined_space = "confined_space"
    school = "school"
    other = "other"

    @property
    def label(self) -> str:
        return gettext(_PLACE_LABELS[self])


_PLACE_LABELS = {
    PlaceKind.enterprise: N_("Enterprise"),
    PlaceKind.shop: N_("Shop"),
    PlaceKind.residential: N_("Residential building"),
    PlaceKind.construction: N_("Construction site"),
    PlaceKind.embankment: N_("Embankment section"),
    PlaceKind.reservoir: N_("Reservoir"),
    PlaceKind.geohazard: N_("Geological-hazard point"),
    PlaceKind.sluice: N_("Sluice / culvert gate"),
    PlaceKind.pumping_station: N_("Pumping station"),
    PlaceKind.pond: N_("Mountain pond"),
    PlaceKind.dangerous_house: N_("Dangerous house"),
    PlaceKind.nine_small: N_("Small premises (nine kinds)"),
    PlaceKind.crowded: N_("Crowded place"),
    PlaceKind.confined_space: N_("Confined space"),
    PlaceKind.school: N_("School"),
    PlaceKind.other: N_("Other"),
}


class RiskGrade(StrEnum):
    """The national four grades of safety risk (安全风险分级管控): 一级 重大 (red) is the
    highest, 四级 低 (blue) the lowest. Stored as the grade's number, so that ordering by the
    column puts 重大 first wherever places are listed."""

    major = "1"
    significant = "2"
    general = "3"
    low = "4"

    @property
    def colour(self) -> str:
        return {"1": "red", "2": "orange", "3": "yellow", "4": "blue"}[self.value]

    @property
    def label(self) -> str:
        return gettext(_GRADE_LABELS[self])

    @property
    def short(self) -> str:
        """The coloured badge's word (重/较/一/低 in Chinese)."""
        return gettext(_GRADE_SHORT[self])

    @property
    def inspect_every_days(self) -> int:
        """How often a place of this grade is inspected (the patrol plan's default): the
        higher the risk, the more often."""
        return INSPECT_EVERY_DAYS[self]


_GRADE_LABELS = {
    RiskGrade.major: N_("Major risk"),
    RiskGrade.significant: N_("Significant risk"),
    RiskGrade.general: N_("General risk"),
    RiskGrade.low: N_("Low risk"),
}
_GRADE_SHORT = {
    RiskGrade.major: N_("Maj"),
    RiskGrade.significant: N_("Sig"),
    RiskGrade.general: N_("Gen"),
    RiskGrade.low: N_("Low"),
}
#: days between inspections by grade (a deployment's patrol plans may ask for more)
INSPECT_EVERY_DAYS = {
    RiskGrade.major: 7,
    RiskGrade.significant: 15,
    RiskGrade.general: 30,
    RiskGrade.low: 90,
}


class PostKind(StrEnum):
    grid_member = "grid_member"
    flood_admin = "flood_admin"
    flood_technical = "flood_technical"
    flood_guarantor = "flood_guarantor"
    station_staff = "station_staff"
    bureau_staff = "bureau_staff"
    duty_officer = "duty_officer"
    #: 网格长: heads the grids of a village or community
    grid_leader = "grid_leader"
    #: 村(社区)两委 member
    village_committee = "village_committee"
    #: 灾害信息员: reports disaster losses and situations
    disaster_informant = "disaster_informant"
    #: 安全员 / 水利员 of a village or town
    safety_officer = "safety_officer"
    #: staff of a responsible department (住建, 交通, 市场监管...): handle what is
    #: transferred to their department
    department_staff = "department_staff"
    #: 结对包保人: moves named households (the special-needs first) when an evacuation starts
    household_keeper = "household_keeper"
    admin = "admin"

    @property
    def label(self) -> str:
        return gettext(_POST_LABELS[self])

    @property
    def levels(self) -> frozenset[Level]:
        """The area levels a post of this kind may be held at."""
        return _POST_LEVELS[self]

    @property
    def on_place(self) -> bool:
        """Flood-responsibility posts may be held for a place (a reservoir, a dyke section)."""
        return self in FLOOD_POSTS


FLOOD_POSTS = frozenset({PostKind.flood_admin, PostKind.flood_technical, PostKind.flood_guarantor})

_POST_LABELS = {
    PostKind.grid_member: N_("Grid member"),
    PostKind.flood_admin: N_("Flood duty: administrative"),
    PostKind.flood_technical: N_("Flood duty: technical"),
    PostKind.flood_guarantor: N_("Flood duty: on-the-spot guarantor"),
    PostKind.station_staff: N_("Station staff"),
    PostKind.bureau_staff: N_("Bureau staff"),
    PostKind.duty_officer: N_("Duty officer"),
    PostKind.grid_leader: N_("Grid leader"),
    PostKind.village_committee: N_("Village committee member"),
    PostKind.disaster_informant: N_("Disaster informant"),
    PostKind.safety_officer: N_("Safety / water officer"),
    PostKind.department_staff: N_("Department staff"),
    PostKind.household_keeper: N_("Household keeper (evacuation)"),
    PostKind.admin: N_("Administrator"),
}

_ALL_LEVELS = frozenset(Level)
_POST_LEVELS = {
    PostKind.grid_member: frozenset({Level.grid}),
    PostKind.flood_admin: _ALL_LEVELS,
    PostKind.flood_technical: _ALL_LEVELS,
    PostKind.flood_guarantor: _ALL_LEVELS,
    PostKind.station_staff: frozenset({Level.town}),
    PostKind.bureau_staff: frozenset({Level.city, Level.district}),
    PostKind.duty_officer: frozenset({Level.city, Level.district, Level.town}),
    PostKind.grid_leader: frozenset({Level.village}),
    PostKind.village_committee: frozenset({Level.village}),
    PostKind.disaster_informant: frozenset({Level.town, Level.village}),
    PostKind.safety_officer: frozenset({Level.town, Level.village}),
    PostKind.department_staff: frozenset({Level.city, Level.district, Level.town}),
    PostKind.household_keeper: frozenset({Level.village, Level.grid}),
    PostKind.admin: frozenset({Level.city}),
}
