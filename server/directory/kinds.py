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
    PlaceKind.school: N_("School"),
    PlaceKind.other: N_("Other"),
}


class RiskGrade(StrEnum):
    """A is the highest risk; shown red/orange/yellow/blue as in the field."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"

    @property
    def colour(self) -> str:
        return {"A": "red", "B": "orange", "C": "yellow", "D": "blue"}[self.value]

    @property
    def label(self) -> str:
        return gettext(N_("Risk grade %(grade)s"), grade=self.value)


class PostKind(StrEnum):
    grid_member = "grid_member"
    flood_admin = "flood_admin"
    flood_technical = "flood_technical"
    flood_guarantor = "flood_guarantor"
    station_staff = "station_staff"
    bureau_staff = "bureau_staff"
    duty_officer = "duty_officer"
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
    PostKind.admin: frozenset({Level.city}),
}
