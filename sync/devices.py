"""Devices and their epochs: noticing a phone that lost mutations it had announced."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sync.batch import insert_rows
from sync.mutation import Mutation
from sync.tables import SyncAlert, SyncDevice, SyncMutation

#: at most this many ranges of missing positions are listed in one alert
_LIST_LIMIT = 1000
#: what the phone said its items are: the newest this many are kept per device
TITLES_KEPT = 300

#: an item as the phone announces it: its position and [kind ("hazard.report"), its words]
Title = tuple[int, list[str]]


async def announce(
    device_id: uuid.UUID,
    epoch: int,
    highest_seq: int,
    person_id: uuid.UUID | None,
    titles: list[Title] | None = None,
) -> list[list[int]]:
    """The phone says how many mutations it has created in this epoch (sent or not), and
    what the ones not sent yet are. Returns the ranges of positions of an earlier epoch known
    missing (an alert was raised, naming them by what they were)."""
    return await _update(device_id, epoch, highest_seq, person_id, titles=titles or [])


async def announce_many(
    entries: list[tuple[uuid.UUID, int, int, uuid.UUID | None]],
) -> None:
    """Several phones at once (a group of single mutations): their rows read in one query,
    the phones seen for the first time written in one INSERT."""
    if not entries:
        return
    rows = {
        r["id"]: r
        for r in await SyncDevice.select().where(SyncDevice.id.is_in([e[0] for e in entries]))
    }
    now = datetime.now(UTC)
    new = {}
    for device_id, epoch, highest, person_id in entries:
        if device_id in rows:
            await _update(device_id, epoch, highest, person_id, rows[device_id])
        elif device_id in new:
            new[device_id]["announced_seq"] = max(new[device_id]["announced_seq"], highest)
        else:
            new[device_id] = {
                "id": device_id,
                "person_id": person_id,
                "epoch": epoch,
                "announced_seq": highest,
                "last_seen_at": now,
            }
    if new:
        await insert_rows(SyncDevice, list(new.values()))


async def saw(mutation: Mutation, person_id: uuid.UUID | None) -> list[list[int]]:
    return await _update(mutation.device_id, mutation.epoch, mutation.device_seq, person_id)


async def _update(
    device_id: uuid.UUID,
    epoch: int,
    highest: int,
    person_id: uuid.UUID | None,
    row: dict | None = None,
    titles: list[Title] | None = None,
) -> list[list[int]]:
    if row is None:
        row = await SyncDevice.select().where(SyncDevice.id == device_id).first()
    now = datetime.now(UTC)
    said = {str(seq): title for seq, title in titles or []}
    if row is None:
        await SyncDevice.insert(
            SyncDevice(
                id=device_id,
                person_id=person_id,
                epoch=epoch,
                announced_seq=highest,
                last_seen_at=now,
                titles=json.dumps(_newest(said), ensure_ascii=False),
            )
        )
        return []
    missing: list[list[int]] = []
    known = _json(row.get("titles"))
    if epoch > row["epoch"]:
        missing, count = await _missing(device_id, row["epoch"], row["announced_seq"])
        if missing:
            # the titles the phone named (at most TITLES_KEPT), never the claimed positions:
            # a range may span two billion of them
            lost = [
                known[seq]
                for seq in sorted(known, key=int)
                if any(first <= int(seq) <= last for first, last in missing)
            ]
            await SyncAlert.insert(
                SyncAlert(
                    kind="device_loss",
                    device_id=device_id,
                    person_id=row["person_id"],
                    detail={
                        "epoch": row["epoch"],
                        "missing": missing[:_LIST_LIMIT],
                        "count": count,
                        "titles": lost[:_LIST_LIMIT],
                    },
                )
            )
        announced = highest
        known = {}  # a new epoch numbers its items from 1 again
    elif epoch < row["epoch"]:
        return []  # a late mutation of an old epoch: nothing to update
    else:
        announced = max(row["announced_seq"], highest)
    changes = {
        SyncDevice.epoch: max(epoch, row["epoch"]),
        SyncDevice.announced_seq: announced,
        SyncDevice.person_id: person_id or row["person_id"],
        SyncDevice.last_seen_at: now,
    }
    if said or epoch > row["epoch"]:
        changes[SyncDevice.titles] = json.dumps(_newest({**known, **said}), ensure_ascii=False)
    await SyncDevice.update(changes).where(SyncDevice.id == device_id)
    return missing


def _newest(titles: dict[str, list[str]]) -> dict[str, list[str]]:
    """The newest TITLES_KEPT items (the highest positions)."""
    keep = sorted(titles, key=int)[-TITLES_KEPT:]
    return {seq: titles[seq] for seq in keep}


def _json(value: object) -> dict[str, list[str]]:
    if isinstance(value, str):
        value = json.loads(value or "{}")
    return value if isinstance(value, dict) else {}


async def _missing(device_id: uuid.UUID, epoch: int, announced: int) -> tuple[list[list[int]], int]:
    """The positions 1..announced that never arrived, as [first, last] ranges, and how many.
    The work follows what arrived, never what a phone claims: a claim of 2^31 positions is
    one range, not a list of two billion numbers."""
    rows = await SyncMutation.select(SyncMutation.device_seq).where(
        (SyncMutation.device_id == device_id)
        & (SyncMutation.epoch == epoch)
        & (SyncMutation.device_seq <= announced)
    )
    ranges: list[list[int]] = []
    count = 0
    expected = 1
    for seq in sorted({r["device_seq"] for r in rows}):
        if seq > expected:
            ranges.append([expected, seq - 1])
            count += seq - expected
        expected = seq + 1
    if expected <= announced:
        ranges.append([expected, announced])
        count += announced - expected + 1
    return ranges, count
