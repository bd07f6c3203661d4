"""Call-ups issued to demo towns, and answers sent as phones send them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from server.auth.service import Viewer
from server.callups import adapter, messages, service
from server.callups.tables import CallupTarget
from server.callups.targets import DEFAULT_KINDS
from server.directory.service import area_by_code
from server.settings import ROOT
from server.syncing import service as syncing
from sync.store import Result
from tests.integration.hazards.people import envelope, viewer

BUREAU = "13900000002"
DUTY_OFFICER = "13900000003"
#: our own Chinese CAP alerts
OURS_CAP = ROOT / "tests" / "fixtures" / "cap"
QINGXI = "339901002"  # 清溪镇: a river town, with dyke guarantors and a reservoir
TAOYUAN = "339922002"  # 桃源乡

__all__ = [
    "BUREAU",
    "DUTY_OFFICER",
    "OURS_CAP",
    "QINGXI",
    "TAOYUAN",
    "answer",
    "issue",
    "targets",
    "viewer",
]


async def issue(
    staff: Viewer,
    town_code: str = QINGXI,
    *,
    drill: bool = False,
    window: int | None = None,
    rounds: int = 3,
    now: datetime | None = None,
) -> uuid.UUID:
    """A call-up to the flood-duty people of a town, sent at `now`, its messages queued as
    the worker queues them."""
    town = await area_by_code(town_code)
    callup_id = await draft(staff, town.path, drill=drill, window=window, rounds=rounds)
    await service.send(staff, callup_id, now=now)
    await service.finish_sends()
    return callup_id


async def draft(
    staff: Viewer,
    town_path: str,
    *,
    drill: bool = False,
    window: int | None = None,
    rounds: int = 3,
) -> uuid.UUID:
    """A call-up drafted for the flood-duty people of a town (not sent)."""
    syncing.register(adapter.CallupTargetAdapter())
    messages.install()
    return await service.create(
        staff,
        service.Draft(
            title="清溪河洪水橙色预警叫应",
            level="orange",
            area_paths=[town_path],
            post_kinds=list(DEFAULT_KINDS),
            drill=drill,
            window_minutes=window,
            max_rounds=rounds,
        ),
    )


async def targets(callup_id: uuid.UUID) -> list[dict[str, Any]]:
    return (
        await CallupTarget.select()
        .where(CallupTarget.callup_id == callup_id)
        .order_by(CallupTarget.area_path)
    )


async def target(target_id: uuid.UUID) -> dict[str, Any]:
    return await service.target_row(target_id)


async def answer(
    who: Viewer,
    target_id: uuid.UUID,
    fields: dict[str, Any],
    *,
    phone_ms: int | None = None,
    device: int = 1,
) -> Result:
    """A confirmation as a phone sends it (its own device and clock)."""
    raw = envelope(
        "confirm", target_id, fields, entity="callup_target", phone_ms=phone_ms, device=device
    )
    result = await syncing.submit(raw, who)
    assert result is not None
    return result


async def person_viewer(person_id: uuid.UUID) -> Viewer:
    from server.directory.tables import Person

    row = await Person.select(Person.mobile).where(Person.id == person_id).first()
    return await viewer(row["mobile"])
