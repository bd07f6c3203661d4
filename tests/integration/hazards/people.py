"""Demo people as Viewers, and hazards brought to a given status through real mutations."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from server import db
from server.auth import service as auth
from server.auth.service import Viewer
from server.directory.kinds import PostKind
from server.directory.tables import Person, Post
from server.hazards.service import get
from server.syncing import service as syncing
from sync.hlc import HLC
from sync.store import Result

GRID_MEMBER = "13900000007"
STATION = "13900000005"
CITY_BUREAU = "13900000002"
SHA = "a" * 64
_device_seq = itertools.count(1)


async def viewer(mobile: str) -> Viewer:
    """Signed in on a new device (the password check is the login tests' work: skipped)."""
    person = await Person.select(Person.id).where(Person.mobile == mobile).first()
    assert person is not None, mobile
    async with db.current().write():
        token = await auth.open_session(person["id"], ip="127.0.0.1", user_agent="test")
    found, _ = await auth.authenticate(token)
    assert found is not None
    return found


async def other_station() -> str:
    """A station staff member of another town than STATION's."""
    rows = (
        await Post.select(Post.person.mobile.as_alias("mobile"))
        .where(Post.kind == PostKind.station_staff.value)
        .order_by(Post.person.mobile)
    )
    return next(r["mobile"] for r in rows if r["mobile"] != STATION)


def envelope(
    op: str,
    record_id: uuid.UUID,
    fields: dict[str, Any],
    base_seq: int = 0,
    *,
    entity: str = "hazard",
    phone_ms: int | None = None,
    device: int = 7,
) -> dict:
    """A mutation as a phone sends it (its own device, its own clock)."""
    phone_ms = syncing.now_ms() if phone_ms is None else phone_ms
    return {
        "mutation_id": str(uuid.uuid4()),
        "device_id": str(uuid.UUID(int=device)),
        "device_seq": next(_device_seq),
        "entity": entity,
        "record_id": str(record_id),
        "op": op,
        "base_seq": base_seq,
        "fields": fields,
        "hlc": str(HLC(phone_ms, 0, f"phone{device}")),
        "phone_time": phone_ms,
    }


async def send(
    who: Viewer, op: str, record_id: uuid.UUID, fields: dict[str, Any], base_seq: int | None = None
) -> Result:
    if base_seq is None:
        try:
            base_seq = (await get(who, record_id)).seq
        except Exception:
            base_seq = 0
    result = await syncing.submit(envelope(op, record_id, fields, base_seq), who)
    assert result is not None
    return result


def report_fields(grid: Viewer, **extra: Any) -> dict[str, Any]:
    grid_path = next(p.area_path for p in grid.posts if p.kind is PostKind.grid_member)
    return {
        "category": "fire.ebike",
        "level": "general",
        "description": "楼道飞线充电",
        "lat": "30.1",
        "lng": "120.1",
        "accuracy": "8",
        "address": "幸福小区3幢",
        "area_path": grid_path,
        "source": "grid",
        "photos_before": [SHA],
        **extra,
    }


#: 挂牌督办's five items, all given
FIVE = {
    "supervision_level": "city",
    "supervision_responsibility": "区应急局",
    "supervision_measures": "停产整改",
    "supervision_funds": "50万元",
    "supervision_deadline": "2030-06-30",
    "supervision_plan": "应急预案已备案",
}


#: the ops that bring a new hazard to each status, each by the people named
PATH = {
    "reported": [],
    "accepted": [("station", "accept", {})],
    "assigned": [
        ("station", "accept", {}),
        (
            "station",
            "assign",
            {"assignee_unit": "物业公司", "measures": "拆除飞线", "deadline": "2030-01-01"},
        ),
    ],
}
PATH["rectified"] = [*PATH["assigned"], ("grid", "rectify", {"photos_after": ["b" * 64]})]
PATH["closed"] = [*PATH["rectified"], ("station", "verify", {"verify_note": "已复核"})]
PATH["rejected"] = [("station", "reject", {"reject_reason": "not_hazard"})]


async def hazard_in(status: str, people: dict[str, Viewer], **extra: Any) -> uuid.UUID:
    record_id = uuid.uuid4()
    made = await send(people["grid"], "report", record_id, report_fields(people["grid"], **extra))
    assert made.verdict == "applied", made.reason
    for who, op, fields in PATH[status]:
        result = await send(people[who], op, record_id, fields)
        assert result.verdict in ("applied", "merged"), (op, result.reason)
    return record_id
