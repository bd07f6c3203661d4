"""The hazard's casework beyond the station's own loop: 转办 (a transfer to the department
responsible for its sector, which accepts or declines it), the 督办通知书 (numbered once by
the server, delisted (销号) by the supervising unit only) and 回头看 (a closed major hazard
checked again RECHECK_DAYS after closure; "not rectified" reopens it).

The adapter asks here, inside the sync transaction: may this op be applied (`RULES`), which
server-owned columns follow from it (`columns`), and whom to tell (`told`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from server import localtime
from server.auth.service import Viewer
from server.directory import departments
from server.directory import service as directory
from server.directory.kinds import PostKind
from server.errors import NotFound
from server.hazards.policy import RECHECK_DAYS, Level, RecheckResult, Status
from server.hazards.tables import Hazard
from server.i18n import N_

#: the supervising level's unit: the hazard's path cut at the city or the county
_UNIT_DEPTH = {"city": 1, "county": 2}


def unit_path(area_path: str, level: str) -> str:
    parts = area_path.strip("/").split("/")[: _UNIT_DEPTH.get(level, 1)]
    return "/" + "/".join(parts) + "/"


async def _stored(record_id: uuid.UUID) -> dict[str, Any]:
    row = (
        await Hazard.select(
            Hazard.area_path,
            Hazard.level,
            Hazard.status,
            Hazard.department_id,
            Hazard.supervision_no,
            Hazard.supervision_unit,
            Hazard.delisted_on,
            Hazard.recheck_due,
        )
        .where(Hazard.id == record_id)
        .first()
    )
    return row or {}


async def _transfer(viewer: Viewer, record_id: uuid.UUID, values: Mapping[str, Any]) -> str:
    try:
        department = await departments.get_department(uuid.UUID(values["department_id"]))
    except (NotFound, ValueError, TypeError):
        return N_("Choose the department.")
    if not department.active or not values["area_path"].startswith(department.area_path):
        return N_("That department does not cover this hazard's area.")
    return ""


async def _decline(viewer: Viewer, record_id: uuid.UUID, values: Mapping[str, Any]) -> str:
    stored = await _stored(record_id)
    if stored.get("department_id") not in viewer.scope.department_ids:
        return N_("Only the department it was transferred to may send it back.")
    return ""


async def _recheck(viewer: Viewer, record_id: uuid.UUID, values: Mapping[str, Any]) -> str:
    stored = await _stored(record_id)
    if stored.get("status") != Status.closed.value or stored.get("recheck_due") is None:
        return N_("No re-check is due for this hazard.")
    return ""


async def _delist(viewer: Viewer, record_id: uuid.UUID, values: Mapping[str, Any]) -> str:
    stored = await _stored(record_id)
    if not stored.get("supervision_no") or stored.get("delisted_on"):
        return N_("This hazard is not under supervision.")
    if stored.get("status") != Status.closed.value:
        return N_("A supervised hazard is delisted once it is rectified and closed.")
    if not of_supervising_unit(viewer, stored["supervision_unit"]):
        return N_("Only the supervising unit delists a supervised hazard.")
    return ""


def of_supervising_unit(viewer: Viewer, unit: str) -> bool:
    """The viewer is bureau staff of the unit itself (not above it, not a department)."""
    return bool(unit) and any(
        p.kind is PostKind.bureau_staff and p.area_path == unit and p.department_id is None
        for p in viewer.posts
    )


Rule = Callable[[Viewer, uuid.UUID, Mapping[str, Any]], Awaitable[str]]
#: op -> the rule that refuses it (a catalog message) or lets it through ("")
RULES: dict[str, Rule] = {
    "transfer": _transfer,
    "decline_transfer": _decline,
    "recheck": _recheck,
    "close_supervision": _delist,
}


async def columns(
    record_id: uuid.UUID, changes: Mapping[str, Any], op: str, viewer: Viewer, now: datetime
) -> dict[str, Any]:
    """The server-owned columns that follow from a change: the department's name, the
    notice's number and unit, the end of a supervision, the re-check's due date."""
    out: dict[str, Any] = {}
    if "department_id" in changes:
        found = await departments.names_of(
            [changes["department_id"]] if changes["department_id"] else []
        )
        out["department_name"] = next(iter(found.values()), "")
    stored: dict[str, Any] | None = None
    if op == "supervise" and changes.get("supervision"):
        stored = await _stored(record_id)
        if not stored.get("supervision_no"):
            level = changes["supervision"].get("level", "city")
            out.update(await _numbered(unit_path(stored["area_path"], level), now))
    if changes.get("delisted_on"):
        out["supervised_level"] = ""
    status = changes.get("status")
    if status == Status.closed.value:
        stored = stored or await _stored(record_id)
        if changes.get("level", stored.get("level")) == Level.major.value:
            out["recheck_due"] = localtime.today(now) + timedelta(days=RECHECK_DAYS)
    elif status is not None or changes.get("recheck_result") == RecheckResult.fixed.value:
        out["recheck_due"] = None
    return out


async def _numbered(unit: str, now: datetime) -> dict[str, Any]:
    """The next number of the unit's notices this year: writers hold the sync lock, so
    counting the unit's numbers of the year cannot race another notice."""
    area = await directory.area_by_path(unit)
    name = area.name if area else ""
    year = localtime.today(now).year
    prefix = f"{name}督〔{year}〕"
    issued = await Hazard.count().where(
        (Hazard.supervision_unit == unit) & Hazard.supervision_no.like(f"{prefix}%")
    )
    return {"supervision_no": f"{prefix}{issued + 1}号", "supervision_unit": unit}


async def told(
    op: str, record_id: uuid.UUID, changes: Mapping[str, Any], viewer: Viewer
) -> list[tuple[uuid.UUID, str]]:
    """Whom the change concerns, with the notice's kind: a department's staff when a hazard
    is transferred to it; the station when the department declines it or a re-check
    reopens it. Nobody is told of their own act."""
    if "status" not in changes:
        return []
    people: list[uuid.UUID] = []
    kind = ""
    if op == "transfer" and changes.get("department_id"):
        people = await departments.staff_of(uuid.UUID(changes["department_id"]))
        kind = "transferred"
    elif op in ("decline_transfer", "recheck"):
        stored = await _stored(record_id)
        people = await directory.holders_over(stored["area_path"], [PostKind.station_staff])
        kind = "declined" if op == "decline_transfer" else "reopened"
    return [(p, kind) for p in people if p != viewer.person_id]
