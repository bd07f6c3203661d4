"""What the call-up services hand out: frozen records with the labels templates need."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from server.callups.kinds import Answer, HazardType, TargetState, Via, WarningLevel, WarningState
from server.db import as_json
from server.i18n import N_, gettext

#: CAP msgType as the pages say it
MSG_TYPES = {"Alert": N_("Issued"), "Update": N_("Update"), "Cancel": N_("Lifted")}


@dataclass(frozen=True)
class WarningRecord:
    id: uuid.UUID
    source: str
    identifier: str
    sender: str
    msg_type: str
    status: str
    hazard_type: HazardType
    level: WarningLevel
    headline: str
    description: str
    instruction: str
    texts: list[dict]
    area_desc: str
    area_codes: list[str]
    area_paths: list[str]
    #: what its shapes reach: areas (their own posts) and places (warnings.reach_of)
    reach_areas: list[str]
    reach_places: list[uuid.UUID]
    reach_why: dict[str, str]
    #: as given: [[lat, lng], ...] rings and [lat, lng, radius_km] circles
    polygons: list[list[list[float]]]
    circles: list[list[float]]
    valid_from: datetime | None
    valid_to: datetime | None
    sent_at: datetime
    state: WarningState
    supersedes: uuid.UUID | None
    superseded_by: uuid.UUID | None

    @property
    def drill(self) -> bool:
        return self.status == "Exercise"

    @property
    def cancels(self) -> bool:
        """A CAP Cancel: the lifting (解除) of a warning, not a warning of its own."""
        return self.msg_type == "Cancel"

    @property
    def msg_label(self) -> str:
        return gettext(MSG_TYPES.get(self.msg_type, self.msg_type))

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> WarningRecord:
        return cls(
            **{k: row[k] for k in cls.__dataclass_fields__ if k not in _WARNING_TYPED},
            hazard_type=HazardType(row["hazard_type"]),
            level=WarningLevel(row["level"]),
            state=_state_now(row),
            texts=as_json(row["texts"]),
            area_codes=as_json(row["area_codes"]),
            area_paths=as_json(row["area_paths"]),
            reach_areas=as_json(row["reach_areas"]),
            reach_places=[uuid.UUID(p) for p in as_json(row["reach_places"])],
            reach_why=as_json(row["reach_why"]) or {},
            polygons=as_json(row["polygons"]),
            circles=as_json(row["circles"]),
        )


def _state_now(row: dict[str, Any]) -> WarningState:
    """A warning in force whose validity has ended is shown as expired."""
    state = WarningState(row["state"])
    valid_to = row["valid_to"]
    if state is WarningState.active and valid_to is not None and valid_to < datetime.now(UTC):
        return WarningState.expired
    return state


_WARNING_TYPED = {
    "hazard_type",
    "level",
    "state",
    "texts",
    "area_codes",
    "area_paths",
    "reach_areas",
    "reach_places",
    "reach_why",
    "polygons",
    "circles",
}


@dataclass(frozen=True)
class CallupRecord:
    id: uuid.UUID
    code: str
    warning_id: uuid.UUID | None
    title: str
    body: str
    level: WarningLevel
    drill: bool
    state: str
    window_minutes: int
    max_rounds: int
    area_paths: list[str]
    post_kinds: list[str]
    created_by: uuid.UUID
    issued_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    version: int

    @property
    def live(self) -> bool:
        return self.state == "sent"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CallupRecord:
        return cls(
            **{k: row[k] for k in cls.__dataclass_fields__ if k not in _CALLUP_TYPED},
            level=WarningLevel(row["level"]),
            area_paths=as_json(row["area_paths"]),
            post_kinds=as_json(row["post_kinds"]),
        )


_CALLUP_TYPED = {"level", "area_paths", "post_kinds"}


@dataclass(frozen=True)
class TargetRecord:
    id: uuid.UUID
    callup_id: uuid.UUID
    person_id: uuid.UUID
    name: str
    mobile: str
    area_path: str
    origin: str
    called_at: datetime | None
    delivered_at: datetime | None
    opened_at: datetime | None
    answer: Answer | None
    confirmed_at: datetime | None
    phone_at: datetime | None
    received_at: datetime | None
    via: Via | None
    note: str
    reason: str
    rounds: int
    next_at: datetime | None
    standin_id: uuid.UUID | None
    seq: int

    @property
    def state(self) -> TargetState:
        if self.confirmed_at is not None:
            return TargetState.confirmed
        if self.opened_at is not None:
            return TargetState.opened
        if self.delivered_at is not None:
            return TargetState.delivered
        return TargetState.waiting

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TargetRecord:
        return cls(
            **{k: row[k] for k in cls.__dataclass_fields__ if k not in _TARGET_TYPED},
            answer=Answer(row["answer"]) if row["answer"] else None,
            via=Via(row["via"]) if row["via"] else None,
        )


_TARGET_TYPED = {"answer", "via"}
