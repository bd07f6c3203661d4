"""Turning what a form or a phone sends into a hazard's typed fields (pure: no I/O).

A form sends strings; the service worker sends the same strings later; a JSON client may
send numbers. All arrive here, so a value is judged the same whichever way it came. Errors
are whole messages from the catalog (shown to the person in their language).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from server.hazards.policy import (
    HAZARD_POLICY,
    OPS,
    SUPERVISION_FIELDS,
    Level,
    Op,
    RecheckResult,
    RejectReason,
    Status,
    Who,
)
from server.i18n import N_
from server.media.storage import photo_refs

#: sent with an op, used to judge it, never stored as the hazard's fields (the timeline keeps them)
TRANSIENT = frozenset({"verify_lat", "verify_lng", "verify_accuracy"})
SOURCES = frozenset({"grid", "staff", "tipoff", "patrol"})
_PATH = re.compile(r"^/([0-9A-Za-z-]+/)+$")
_LIMITS = {
    "description": 2000,
    "address": 200,
    "assignee_unit": 100,
    "measures": 2000,
    "rectify_note": 2000,
    "extension_reason": 500,
    "sendback_reason": 500,
    "verify_note": 500,
    "transfer_note": 500,
    "recheck_note": 500,
    "delist_note": 500,
}
#: a conflict settled by staff may set any plain field (sync/store.py resolve)
RESOLVE = Op(
    Who.staff,
    frozenset(n for n, r in HAZARD_POLICY.fields.items() if r.policy.value == "lww"),
)


class FieldError(ValueError):
    """What is wrong with a field, as a catalog message."""


def op_of(name: str) -> Op:
    if name == "resolve":
        return RESOLVE
    op = OPS.get(name)
    if op is None:
        raise FieldError(N_("This action is not known."))
    return op


def clean(op_name: str, raw: Mapping[str, Any], mutation_id: uuid.UUID) -> dict[str, Any]:
    """The fields to merge for `op_name`, typed; the op's status added."""
    op = op_of(op_name)
    supervision = {k: v for k, v in raw.items() if k.startswith("supervision_")}
    given = {k: v for k, v in raw.items() if k not in supervision and k != "status"}
    if supervision:
        given["supervision"] = _supervision(supervision)
    unknown = set(given) - op.fields - TRANSIENT
    if unknown:
        raise FieldError(N_("The form sent fields this action does not take."))
    fields = {
        name: _value(name, value, mutation_id)
        for name, value in given.items()
        if name not in TRANSIENT
    }
    missing = [n for n in op.required if fields.get(n) in (None, "", [], {})]
    if missing:
        raise FieldError(_MISSING.get(missing[0], N_("A required field is empty.")))
    if op.status is not None:
        fields["status"] = op.status.value
    if op_name == "recheck" and fields.get("recheck_result") == RecheckResult.not_fixed.value:
        fields["status"] = Status.assigned.value  # 回头看 found it not rectified: reopened
    return fields


_MISSING = {
    "category": N_("Choose a category."),
    "area_path": N_("Choose the grid."),
    "level": N_("Choose the level."),
    "photos_before": N_("Add at least one photo."),
    "photos_after": N_("Add at least one photo taken after rectification."),
    "reject_reason": N_("Choose why the report is not accepted."),
    "merged_into": N_("Choose the hazard it duplicates."),
    "assignee_unit": N_("Name the responsible unit."),
    "measures": N_("Describe the required measures."),
    "deadline": N_("Set the deadline."),
    "lat": N_("Place the pin on the map."),
    "lng": N_("Place the pin on the map."),
    "extension_until": N_("Choose the new deadline you ask for."),
    "extension_reason": N_("Give a reason for the extension."),
    "sendback_reason": N_("Give the reason for sending it back."),
    "department_id": N_("Choose the department."),
    "transfer_note": N_("Say why the department sends it back."),
    "recheck_result": N_("Say whether it is still rectified."),
    "delisted_on": N_("Set the delisting date."),
}


def _value(name: str, value: Any, mutation_id: uuid.UUID) -> Any:
    if name in ("lat", "lng", "accuracy"):
        return coordinate(name, value)
    if name in ("place_id", "merged_into", "assignee_id", "department_id"):
        return _uuid(value)
    if name in ("deadline", "extension_until", "delisted_on"):
        return _date(value)
    if name == "recheck_result":
        return _choice(value, RecheckResult, N_("Say whether it is still rectified."))
    if name in ("photos_before", "photos_after"):
        return _photos(value)
    if name == "followers":
        return [{"id": str(_uuid(i.get("id") if isinstance(i, dict) else i))} for i in _list(value)]
    if name == "notes":
        return _notes(value, mutation_id)
    if name == "level":
        return _choice(value, Level, N_("Choose the level."))
    if name == "reject_reason":
        return _choice(value, RejectReason, N_("Choose why the report is not accepted."))
    if name == "source":
        if value not in SOURCES:
            raise FieldError(N_("The source of the report is not known."))
        return value
    if name == "area_path":
        if not isinstance(value, str) or not _PATH.match(value):
            raise FieldError(N_("Choose the grid."))
        return value
    if name == "category":
        if not isinstance(value, str) or not re.match(r"^[a-z_.]{1,40}$", value):
            raise FieldError(N_("Choose a category."))
        return value
    if name == "supervision":
        return value
    return _text(name, value)


def coordinate(name: str, value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FieldError(N_("The location is not a number.")) from None
    bound = {"lat": 90.0, "lng": 180.0}.get(name)
    if number != number or (bound and abs(number) > bound) or (not bound and not 0 <= number < 1e6):
        raise FieldError(N_("The location is out of range."))
    return number


def _uuid(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise FieldError(N_("A reference in the form is damaged.")) from None


def _date(value: Any) -> str:
    if value in (None, ""):
        return ""
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise FieldError(N_("The date is not valid.")) from None


def _list(value: Any) -> list:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [v for v in value.split(",") if v]
    raise FieldError(N_("A list in the form is damaged."))


def _photos(value: Any) -> list[dict[str, str]]:
    try:
        return photo_refs(_list(value))
    except ValueError as exc:
        raise FieldError(str(exc)) from None


def _notes(value: Any, mutation_id: uuid.UUID) -> list[dict[str, str]]:
    if isinstance(value, str):
        value = [{"id": str(mutation_id), "text": value}]
    notes = []
    for item in _list(value):
        if not isinstance(item, dict) or not item.get("id"):
            raise FieldError(N_("A note in the form is damaged."))
        notes.append({"id": str(item["id"]), "text": _text("note", item.get("text", ""))})
    return [n for n in notes if n["text"]]


def _choice(value: Any, kind: Any, message: str) -> str:
    try:
        return kind(value).value
    except ValueError:
        raise FieldError(message) from None


def _text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError(N_("A text field holds something else."))
    text = value.strip()
    if len(text) > _LIMITS.get(name, 2000):
        raise FieldError(N_("A text is longer than allowed."))
    return text


def _supervision(raw: Mapping[str, Any]) -> dict[str, str]:
    values = {k.removeprefix("supervision_"): _text("supervision", v) for k, v in raw.items()}
    unknown = (
        set(values) - set(SUPERVISION_FIELDS) - {"level", "listed_on", "published_on", "issuer"}
    )
    if unknown:
        raise FieldError(N_("The form sent fields this action does not take."))
    if any(not values.get(k) for k in SUPERVISION_FIELDS):
        raise FieldError(
            N_("All five items (responsibility, measures, funds, time limit, plan) are required.")
        )
    if values.get("level") not in ("city", "county"):
        raise FieldError(N_("Choose the supervising level."))
    for key in ("listed_on", "published_on"):
        values[key] = _date(values.get(key))
    return values
