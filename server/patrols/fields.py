"""What a phone may send about a patrol, typed and checked once for online forms and
replayed outbox entries alike; a bad value rejects the mutation with a reason."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from server.i18n import N_
from server.media.storage import photo_refs

OPS = ("start", "track", "checkin", "end")
#: a phone sends its track in batches; more than this in one is a bug or an attack
MAX_POINTS = 2000
METHODS = ("qr", "code", "geofence")
RESULTS = ("normal", "hazard", "note")
MAX_PHOTOS = 6


def _uuid(value: Any, message: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ValueError(message) from None


def _coordinate(value: Any, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(N_("The location could not be read.")) from None
    if not low <= number <= high:
        raise ValueError(N_("The location could not be read."))
    return number


def _number(value: Any, message: str, kind: type = float) -> Any:
    """A number a phone sent (0 when absent); the message, translated, when it is not one."""
    try:
        return kind(value or 0)
    except (TypeError, ValueError):
        raise ValueError(message) from None


def _point(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ValueError(N_("A track point could not be read."))
    return {
        "id": _uuid(raw.get("id"), N_("A track point could not be read.")),
        "lat": _coordinate(raw.get("lat"), -90, 90),
        "lng": _coordinate(raw.get("lng"), -180, 180),
        "accuracy": max(0.0, _number(raw.get("accuracy"), N_("A track point could not be read."))),
        "at": _number(raw.get("at"), N_("A track point could not be read."), int),
    }


def _checkin(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ValueError(N_("A check-in could not be read."))
    method = str(raw.get("method") or "")
    if method not in METHODS:
        raise ValueError(N_("A check-in needs a QR code, a typed code or a location."))
    result = str(raw.get("result") or "normal")
    if result not in RESULTS:
        raise ValueError(N_("A check-in could not be read."))
    has_fix = raw.get("lat") not in (None, "") and raw.get("lng") not in (None, "")
    if method == "geofence" and not has_fix:
        raise ValueError(N_("A check-in by location needs the location."))
    token = str(raw.get("token") or "").strip()[:32]
    if method in ("qr", "code") and not token:
        raise ValueError(N_("A check-in by code needs the code."))
    photos = raw.get("photos") or []
    if not isinstance(photos, list) or len(photos) > MAX_PHOTOS:
        raise ValueError(N_("A check-in holds at most 6 photos."))
    return {
        "id": _uuid(raw.get("id"), N_("A check-in could not be read.")),
        "checkpoint_id": _uuid(raw.get("checkpoint_id"), N_("Choose the checkpoint.")),
        "method": method,
        "token": token,
        "lat": _coordinate(raw["lat"], -90, 90) if has_fix else None,
        "lng": _coordinate(raw["lng"], -180, 180) if has_fix else None,
        "accuracy": _number(raw.get("accuracy"), N_("The location could not be read."))
        if has_fix
        else None,
        "result": result,
        "note": str(raw.get("note") or "").strip()[:300],
        "photos": photo_refs(photos),
        "hazard_id": _uuid(raw["hazard_id"], N_("A check-in could not be read."))
        if raw.get("hazard_id")
        else None,
        "at": _number(raw.get("at"), N_("A check-in could not be read."), int),
    }


def clean(op: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a patrol mutation, by op."""
    if op not in OPS:
        raise ValueError(N_("This action is not known."))
    if op == "start":
        plan = fields.get("plan_id")
        return {
            "state": "started",
            "plan_id": _uuid(plan, N_("Choose the plan.")) if plan else None,
            "area_path": str(fields.get("area_path") or "")[:255],
        }
    if op == "track":
        points = fields.get("points")
        if not isinstance(points, list) or not 0 < len(points) <= MAX_POINTS:
            raise ValueError(N_("A track batch holds 1 to 2,000 points."))
        return {"points": [_point(p) for p in points]}
    if op == "checkin":
        checkins = fields.get("checkins")
        if not isinstance(checkins, list) or not 0 < len(checkins) <= 20:
            raise ValueError(N_("A check-in could not be read."))
        return {"checkins": [_checkin(c) for c in checkins]}
    return {"state": "ended"}
