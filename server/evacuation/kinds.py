"""The closed vocabularies of evacuation, with their Chinese names (through the catalog)."""

from __future__ import annotations

from enum import StrEnum

from server.i18n import N_, gettext


class ZoneKind(StrEnum):
    flash_flood = "flash_flood"
    geohazard = "geohazard"
    low_lying = "low_lying"
    dangerous_house = "dangerous_house"
    levee_back = "levee_back"

    @property
    def label(self) -> str:
        return gettext(_ZONE_LABELS[self])


_ZONE_LABELS = {
    ZoneKind.flash_flood: N_("Flash-flood zone"),
    ZoneKind.geohazard: N_("Geological-hazard zone"),
    ZoneKind.low_lying: N_("Low-lying, flood-prone"),
    ZoneKind.dangerous_house: N_("Dangerous houses"),
    ZoneKind.levee_back: N_("Behind the levee"),
}


class Need(StrEnum):
    """A resident's special need: each such person has a named keeper (包保人)."""

    elderly_alone = "elderly_alone"
    disabled = "disabled"
    living_alone = "living_alone"
    bedridden = "bedridden"
    pregnant = "pregnant"

    @property
    def label(self) -> str:
        return gettext(_NEED_LABELS[self])


_NEED_LABELS = {
    Need.elderly_alone: N_("Elderly, no family"),
    Need.disabled: N_("Disabled"),
    Need.living_alone: N_("Living alone"),
    Need.bedridden: N_("Bedridden"),
    Need.pregnant: N_("Pregnant"),
}


class Mark(StrEnum):
    """Where a household stands in an evacuation; "" (to move) until someone marks it."""

    moved = "moved"
    refused = "refused"
    unreached = "unreached"
    self_moved = "self_moved"

    @property
    def label(self) -> str:
        return gettext(_MARK_LABELS[self])


_MARK_LABELS = {
    Mark.moved: N_("Moved"),
    Mark.refused: N_("Refused to move"),
    Mark.unreached: N_("Not at home / unreachable"),
    Mark.self_moved: N_("Moved by themselves"),
}
#: where a moved household went
DESTINATIONS = ("shelter", "relatives")


class ShelterLevel(StrEnum):
    county = "county"
    town = "town"
    village = "village"

    @property
    def label(self) -> str:
        return gettext(_LEVEL_LABELS[self])

    @property
    def minimum(self) -> int:
        """Zhejiang's rule of thumb for a shelter's capacity at this level (people)."""
        return {"county": 200, "town": 100, "village": 50}[self.value]


_LEVEL_LABELS = {
    ShelterLevel.county: N_("County shelter"),
    ShelterLevel.town: N_("Town shelter"),
    ShelterLevel.village: N_("Village shelter"),
}
#: a shelter's safety appraisal older than this is flagged
APPRAISAL_YEARS = 3


class EvacState(StrEnum):
    """active: moving people out; returning: the warning is over, people go home (返迁);
    closed: everyone is accounted for."""

    active = "active"
    returning = "returning"
    closed = "closed"

    @property
    def label(self) -> str:
        return gettext(_STATE_LABELS[self])


_STATE_LABELS = {
    EvacState.active: N_("Evacuating"),
    EvacState.returning: N_("Returning home"),
    EvacState.closed: N_("Closed"),
}
