"""What the hazard service hands out: frozen records with the labels templates need."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from server.db import as_json
from server.hazards.policy import OPEN, Level, RejectReason, Status


@dataclass(frozen=True)
class HazardRecord:
    id: uuid.UUID
    code: str
    category: str
    category_name: str
    level: Level
    status: Status
    description: str
    lat: float | None
    lng: float | None
    accuracy: float | None
    address: str
    place_id: uuid.UUID | None
    place_name: str
    area_path: str
    source: str
    reporter_id: uuid.UUID | None
    reporter_name: str
    photos_before: list[dict]
    photos_after: list[dict]
    followers: list[dict]
    reject_reason: str
    merged_into: uuid.UUID | None
    assignee_id: uuid.UUID | None
    assignee_name: str
    assignee_unit: str
    measures: str
    deadline: date | None
    extension_until: str
    extension_reason: str
    rectify_note: str
    sendback_reason: str
    verify_note: str
    supervision: dict
    supervised_level: str
    reported_at: datetime
    received_at: datetime
    closed_at: datetime | None
    seq: int
    supervision_no: str = ""
    supervision_unit: str = ""
    delisted_on: str = ""
    delist_note: str = ""
    department_id: uuid.UUID | None = None
    department_name: str = ""
    transfer_note: str = ""
    recheck_due: date | None = None
    recheck_result: str = ""
    recheck_note: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any], categories: dict[str, str]) -> HazardRecord:
        names = cls.__dataclass_fields__
        values = {k: row[k] for k in names if k in row}
        for key in ("photos_before", "photos_after", "followers", "supervision"):
            values[key] = as_json(values[key])
        values["level"] = Level(row["level"])
        values["status"] = Status(row["status"])
        values["category_name"] = categories.get(row["category"], row["category"])
        return cls(**values)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def recheck_due_on(self, today: date) -> bool:
        """回头看 is due: closed, with a re-check date reached."""
        return (
            self.status is Status.closed
            and self.recheck_due is not None
            and self.recheck_due <= today
        )

    def overdue_on(self, today: date) -> bool:
        return (
            self.status in (Status.assigned, Status.accepted)
            and self.deadline is not None
            and self.deadline < today
        )

    @property
    def reject_label(self) -> str:
        try:
            return RejectReason(self.reject_reason).label
        except ValueError:
            return ""


@dataclass(frozen=True)
class EventRecord:
    kind: str
    actor_name: str
    device_id: uuid.UUID | None
    phone_time: datetime | None
    server_time: datetime
    data: dict
    addendum: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EventRecord:
        names = cls.__dataclass_fields__
        values = {k: row[k] for k in names}
        values["data"] = as_json(values["data"]) or {}
        return cls(**values)

    @property
    def photos(self) -> list[dict]:
        return [*self.data.get("photos_before", []), *self.data.get("photos_after", [])]


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    name_en: str
    parent: str
    active: bool


@dataclass(frozen=True)
class Filters:
    """A ledger query: every field optional; the same for the page and the exports."""

    area: str = ""  # an area path
    category: str = ""  # a code; a parent code takes its children too
    level: str = ""
    status: str = ""  # a Status, or "open"
    overdue: bool = False
    since: date | None = None
    until: date | None = None
    mine: bool = False
    supervised: bool = False
    q: str = ""
    #: transferred to a department (the station's 已移交 list; a department's own cases)
    transferred: bool = False
    #: closed major hazards whose re-check (回头看) is due
    recheck: bool = False
