"""A call-up confirmation as a sync mutation, and the other ways one arrives (the
notification's 收到, a text reply): all end in answers.confirm().

Entity "callup_target", op "confirm", fields {answer, note, reason, lat, lng, standin}.
The target themself confirms (on the page, online or queued offline); issuers and duty
officers may record an answer they took by phone. Time: the phone's, trusted only between
when the target was called and when the server received it (sync.hlc.trusted_time).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from server.auth.service import Viewer
from server.callups import answers, service, trail
from server.callups.kinds import Answer, Via
from server.callups.policy import TARGET_POLICY
from server.callups.records import CallupRecord
from server.callups.tables import Callup, CallupTarget
from server.directory import service as directory
from server.i18n import N_, gettext
from sync.batch import Batch
from sync.hlc import trusted_time
from sync.merge import Outcome
from sync.mutation import Mutation
from sync.store import Adapter, Author

MOBILE = re.compile(r"1\d{10}")


def clean_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    answer = str(fields.get("answer") or "")
    if answer not in Answer.__members__:
        raise ValueError(N_("Choose an answer."))
    out: dict[str, Any] = {"answer": answer}
    out["note"] = str(fields.get("note") or "").strip()[:300]
    out["reason"] = str(fields.get("reason") or "").strip()[:300]
    for name in ("lat", "lng"):
        raw = str(fields.get(name) or "").strip()
        try:
            out[name] = float(raw) if raw else None
        except ValueError:
            raise ValueError(N_("The location could not be read.")) from None
    standin = str(fields.get("standin") or fields.get("standin_mobile") or "").strip()
    if answer == Answer.unable:
        if not out["reason"]:
            raise ValueError(N_("Say why you cannot come."))
        if not standin:
            raise ValueError(N_("Name who will stand in for you."))
        if not MOBILE.fullmatch(standin):
            try:
                standin = str(uuid.UUID(standin))
            except ValueError:
                raise ValueError(N_("The stand-in's mobile number has 11 digits.")) from None
    out["standin"] = standin if answer == Answer.unable else ""
    return out


async def standin_person(value: str) -> uuid.UUID | None:
    """The active person named as stand-in (by mobile number or id), or None."""
    if not value:
        return None
    if MOBILE.fullmatch(value):
        person = await directory.person_by_mobile(value)
    else:
        person = await directory.active_person(uuid.UUID(value))
    return person.id if person and person.active else None


async def _loaded(
    record_id: uuid.UUID, batch: Batch
) -> tuple[dict[str, Any] | None, CallupRecord | None]:
    """The target and its call-up, read once per batch (load, refuse and record all need
    them; `prefetch` reads a whole group's at once)."""
    loaded = batch.scratch(trail.TARGETS, dict)
    if record_id not in loaded:
        await _read_targets([record_id], batch)
    return loaded.get(record_id, (None, None))


async def _read_targets(record_ids: list[uuid.UUID], batch: Batch) -> None:
    """Targets (and their call-ups, each once) into the batch's scratch, 500 to a query."""
    loaded = batch.scratch(trail.TARGETS, dict)
    callups = batch.scratch(trail.CALLUPS, dict)
    wanted = [r for r in dict.fromkeys(record_ids) if r not in loaded]
    for at in range(0, len(wanted), 500):
        chunk = wanted[at : at + 500]
        rows = await CallupTarget.select().where(CallupTarget.id.is_in(chunk))
        missing = {r["callup_id"] for r in rows} - set(callups)
        if missing:
            for row in await Callup.select().where(Callup.id.is_in(list(missing))):
                callups[row["id"]] = CallupRecord.from_row(row)
        found = {row["id"]: (row, callups.get(row["callup_id"])) for row in rows}
        loaded.update({r: found.get(r, (None, None)) for r in chunk})


class CallupTargetAdapter(Adapter):
    policy = TARGET_POLICY

    async def load(self, record_id: uuid.UUID, *, batch: Batch) -> dict[str, Any] | None:
        row, _callup = await _loaded(record_id, batch)
        if row is None:
            return None
        return {
            "answer": row["answer"],
            "note": row["note"],
            "reason": row["reason"],
            "lat": row["lat"],
            "lng": row["lng"],
            "standin": str(row["standin_id"]) if row["standin_id"] else "",
        }

    def clean(self, mutation: Mutation) -> dict[str, Any]:
        if mutation.op != "confirm":
            raise ValueError(N_("This action is not known."))
        return clean_fields(mutation.fields)

    async def refuse(
        self,
        author: Author,
        record_id: uuid.UUID,
        current: dict[str, Any] | None,
        mutation: Mutation,
        fields: dict[str, Any],
        *,
        batch: Batch,
    ) -> str:
        viewer = author.principal
        target, callup = await _loaded(record_id, batch)
        if target is None or callup is None or not isinstance(viewer, Viewer):
            return N_("This call-up does not exist, or you cannot see it.")
        if target["person_id"] != viewer.person_id and not service.can_record(
            viewer, callup, target
        ):
            return N_("Only the person called up, or the duty officer, can answer this call-up.")
        if callup.state == "draft":
            return N_("This call-up has not been sent yet.")
        if fields["answer"] == Answer.unable:
            standin = await standin_person(fields["standin"])
            if standin is None:
                return N_("No active person has this mobile number.")
            if standin == target["person_id"]:
                return N_("Name someone else to stand in for you.")
        return ""

    async def save(
        self,
        record_id: uuid.UUID,
        values: dict[str, Any],
        *,
        created: bool,
        author: Author,
        seq: int,
        mutation: Mutation,
        batch: Batch,
    ) -> None:
        """Nothing here: record() writes the merged answer with the confirmation's time, in
        one UPDATE (a call-up's 100,000 confirmations are one statement each)."""

    async def record(
        self,
        mutation: Mutation,
        fields: dict[str, Any],
        outcome: Outcome,
        author: Author,
        seq: int,
        received_ms: int,
        *,
        batch: Batch,
    ) -> None:
        """Every accepted confirmation counts for its time, even one that changed nothing
        (the same answer from a second phone may be the earlier one)."""
        target, _callup = await _loaded(mutation.record_id, batch)
        if target is None:
            return
        columns: dict[Any, Any] = {}
        if outcome.changes:
            columns[CallupTarget.seq] = seq
            for name in ("answer", "note", "reason", "lat", "lng"):
                if name in outcome.changes:
                    columns[getattr(CallupTarget, name)] = outcome.changes[name]
        received = datetime.fromtimestamp(received_ms / 1000, UTC)
        called = target["called_at"] or received
        mine = target["person_id"] == author.person_id
        phone = (
            datetime.fromtimestamp(mutation.phone_time / 1000, UTC) if mutation.phone_time else None
        )
        await answers.confirm(
            target,
            answers.Confirmation(
                answer=Answer(fields["answer"]),
                at=trusted_time(mutation.phone_time, called, received),
                via=Via.page if mine else Via.officer,
                phone_at=phone,
                actor_id=author.person_id,
                note=fields["note"],
                reason=fields["reason"],
                lat=fields["lat"],
                lng=fields["lng"],
                standin_id=await standin_person(fields["standin"]),
            ),
            set_answer=False,
            columns=columns,
            batch=batch,
        )

    async def prefetch(self, record_ids: list[uuid.UUID], *, batch: Batch) -> None:
        """A group's targets (and their call-ups) in two queries, for load/refuse/record."""
        await _read_targets(record_ids, batch)

    async def flush(self, *, batch: Batch) -> None:
        await trail.flush_events(batch)

    @staticmethod
    def labels() -> dict[str, str]:
        return {
            "callup_target": gettext(N_("Call-up")),
            "callup_target.confirm": gettext(N_("Call-up confirmation")),
        }

    def locate(self, values: Mapping[str, Any]) -> tuple[str, uuid.UUID | None]:
        return "", None

    def url(self, record_id: uuid.UUID) -> str:
        return f"/callups/targets/{record_id}"
