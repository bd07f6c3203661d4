"""What the evacuation services hand out: frozen records with the labels templates need."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from server.db import as_json
from server.evacuation.kinds import APPRAISAL_YEARS, EvacState, Mark, ShelterLevel, ZoneKind


def _pick(cls: type, row: dict[str, Any], **extra: Any) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in {**row, **extra}.items() if k in names}


@dataclass(frozen=True)
class ZoneRecord:
    id: uuid.UUID
    code: str
    name: str
    kind: ZoneKind
    area_path: str
    shelter_ids: list[uuid.UUID]
    note: str = ""
    active: bool = True

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ZoneRecord:
        shelters = [uuid.UUID(str(s)) for s in as_json(row["shelter_ids"]) or []]
        return cls(**_pick(cls, row, kind=ZoneKind(row["kind"]), shelter_ids=shelters))


@dataclass(frozen=True)
class ShelterRecord:
    id: uuid.UUID
    code: str
    name: str
    level: ShelterLevel
    area_path: str
    capacity: int
    address: str
    manager_id: uuid.UUID | None
    facilities: str
    appraised_on: str
    open: bool
    #: people inside now (checked in, not out), filled by shelters.occupancy()
    inside: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any], inside: int = 0) -> ShelterRecord:
        return cls(**_pick(cls, row, level=ShelterLevel(row["level"]), inside=inside))

    @property
    def full(self) -> bool:
        return self.inside >= self.capacity

    @property
    def below_standard(self) -> bool:
        """Smaller than the rule of thumb for its level."""
        return self.capacity < self.level.minimum

    def appraisal_due(self, today: date) -> bool:
        """Never appraised, or appraised more than APPRAISAL_YEARS ago."""
        try:
            last = date.fromisoformat(self.appraised_on)
        except ValueError:
            return True
        return (today - last).days > APPRAISAL_YEARS * 365


@dataclass(frozen=True)
class EvacRecord:
    id: uuid.UUID
    code: str
    title: str
    warning_id: uuid.UUID | None
    callup_id: uuid.UUID | None
    drill: bool
    state: EvacState
    zone_ids: list[uuid.UUID]
    area_paths: list[str]
    window_minutes: int
    started_by: uuid.UUID
    started_at: datetime
    returning_at: datetime | None
    closed_at: datetime | None
    version: int

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EvacRecord:
        return cls(
            **_pick(
                cls,
                row,
                state=EvacState(row["state"]),
                zone_ids=[uuid.UUID(str(z)) for z in as_json(row["zone_ids"]) or []],
                area_paths=list(as_json(row["area_paths"]) or []),
            )
        )


@dataclass(frozen=True)
class RowRecord:
    """A household on the roster, with the household's own details for those who may see them."""

    id: uuid.UUID
    evacuation_id: uuid.UUID
    household_id: uuid.UUID
    zone_id: uuid.UUID
    area_path: str
    village_path: str
    people: int
    special: bool
    keeper_id: uuid.UUID | None
    removed: bool
    mark: str
    destination: str
    shelter_id: uuid.UUID | None
    heads: int | None
    reason: str
    marked_at: datetime | None
    checkin_shelter_id: uuid.UUID | None
    checkin_heads: int | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    rounds: int
    seq: int
    code: str = ""
    head_name: str = ""
    mobile: str = ""
    address: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RowRecord:
        return cls(**_pick(cls, row))

    @property
    def mark_label(self) -> str:
        return Mark(self.mark).label if self.mark else ""

    @property
    def safe(self) -> bool:
        """Out of the danger zone: moved, or moved by themselves."""
        return self.mark in (Mark.moved, Mark.self_moved)

    @property
    def inside(self) -> bool:
        return self.checked_in_at is not None and self.checked_out_at is None
