"""Pure merge rules: (record, mutation, policy) -> outcome. No I/O.

| policy | changed on the server since base_seq? | result                                       |
| ------ | ------------------------------------- | -------------------------------------------- |
| lww    | no                                    | applied; the old value to history            |
| lww    | yes, to the same value                | nothing to do                                |
| lww    | yes, to another value                 | later HLC wins, other value to history,      |
|        |                                       | conflict recorded                            |
| union  | either                                | union by item id; never a conflict           |
| status | either; a valid step from now         | applied (never held back); old to history    |
| status | either; not a valid step from now     | not applied: an addendum in history,         |
|        |                                       | conflict recorded                            |
| server | -                                     | a phone may not set it: mutation rejected    |
| roles  | -                                     | only the roles listed, judged on the author's|
|        |                                       | *current* posts: else rejected               |

A mutation naming an unknown field, or items without ids for a union, is rejected whole: a
rejection is stored with its payload and shown to the person, never applied in part.
Edits to different fields of one record merge cleanly; only the same field changed on both
sides is a conflict. Reasons are in docs/sync.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Policy(StrEnum):
    lww = "lww"
    union = "union"
    status = "status"
    server = "server"


@dataclass(frozen=True)
class FieldRule:
    policy: Policy
    #: post kinds that may set this field; None: whoever may write the record
    roles: frozenset[str] | None = None


@dataclass(frozen=True)
class EntityPolicy:
    entity: str
    fields: Mapping[str, FieldRule]
    #: the status field's state machine: status -> statuses reachable in one step
    transitions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: statuses a record may be created in
    initial: frozenset[str] = frozenset()
    #: ops that make a new record (any other op on a missing record is refused)
    create_ops: frozenset[str] = frozenset({"create"})
    #: ops that may change the record's area (any other that would is refused)
    move_ops: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FieldState:
    value: Any
    #: the server seq at which the field last changed
    seq: int
    #: the HLC of the write that set it
    hlc: str


@dataclass(frozen=True)
class RecordState:
    fields: Mapping[str, FieldState]
    seq: int


@dataclass(frozen=True)
class Incoming:
    fields: Mapping[str, Any]
    base_seq: int
    #: already clamped to the server's clock
    hlc: str
    #: the author's current post kinds
    roles: frozenset[str]
    creating: bool = False


class Verdict(StrEnum):
    applied = "applied"  # no concurrent change
    merged = "merged"  # concurrent changes to other fields, merged cleanly
    conflicted = "conflicted"  # the same field changed on both sides: see conflicts
    rejected = "rejected"  # nothing applied: see reason


@dataclass(frozen=True)
class Loser:
    """A value that is not current: kept in the record's history."""

    field: str
    value: Any
    hlc: str
    source: str  # "server" (overwritten by a later write) or "incoming" (lost or addendum)


@dataclass(frozen=True)
class Conflict:
    field: str
    kind: Policy
    server_value: Any
    incoming_value: Any
    server_hlc: str
    incoming_hlc: str
    winner: str  # "server" or "incoming"


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    changes: dict[str, Any] = field(default_factory=dict)
    losers: tuple[Loser, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    reason: str = ""


def reject(reason: str) -> Outcome:
    return Outcome(Verdict.rejected, reason=reason)


def merge(record: RecordState | None, incoming: Incoming, policy: EntityPolicy) -> Outcome:
    """Decide what a mutation changes; the caller writes `changes` and keeps the rest."""
    problem = _refusal(record, incoming, policy)
    if problem:
        return reject(problem)
    current = record.fields if record else {}
    changes: dict[str, Any] = {}
    losers: list[Loser] = []
    conflicts: list[Conflict] = []
    for name, value in incoming.fields.items():
        rule = policy.fields[name]
        state = current.get(name)
        if rule.policy is Policy.union:
            merged = union(state.value if state else None, value)
            if merged is not None:
                changes[name] = merged
        elif rule.policy is Policy.status:
            _status(name, state, value, incoming, policy, changes, losers, conflicts)
        else:
            _lww(name, state, value, incoming, changes, losers, conflicts)
    if conflicts:
        verdict = Verdict.conflicted
    elif record is not None and record.seq > incoming.base_seq:
        verdict = Verdict.merged
    else:
        verdict = Verdict.applied
    return Outcome(verdict, changes, tuple(losers), tuple(conflicts))


def _refusal(record: RecordState | None, incoming: Incoming, policy: EntityPolicy) -> str:
    if record is None and not incoming.creating:
        return "the record does not exist"
    for name, value in incoming.fields.items():
        rule = policy.fields.get(name)
        if rule is None:
            return f"unknown field {name!r}"
        if rule.policy is Policy.server:
            return f"{name!r} is set by the server only"
        if rule.roles is not None and not (rule.roles & incoming.roles):
            return f"{name!r} may be set only by: {', '.join(sorted(rule.roles))}"
        if rule.policy is Policy.union and not _items_have_ids(value):
            return f"{name!r} must be a list of items with an id"
        if rule.policy is Policy.status and record is None and value not in policy.initial:
            return f"a new record cannot start as {value!r}"
    return ""


def _items_have_ids(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, dict) and i.get("id") for i in value)


def union(current: list[dict] | None, incoming: list[dict]) -> list[dict] | None:
    """Items are immutable once made (a photo, a check-in): the same id is the same item."""
    have = {item["id"] for item in current or []}
    new = [item for item in incoming if item["id"] not in have]
    unique = list({item["id"]: item for item in new}.values())
    return [*(current or []), *unique] if unique else None


def _lww(
    name: str,
    state: FieldState | None,
    value: Any,
    incoming: Incoming,
    changes: dict,
    losers: list,
    conflicts: list,
) -> None:
    if state is None or state.seq <= incoming.base_seq:
        if state is None or state.value != value:
            changes[name] = value
            if state is not None:  # every value a record ever had stays in its history
                losers.append(Loser(name, state.value, state.hlc, "server"))
        return
    if state.value == value:
        return
    incoming_wins = incoming.hlc > state.hlc
    if incoming_wins:
        changes[name] = value
        losers.append(Loser(name, state.value, state.hlc, "server"))
    else:
        losers.append(Loser(name, value, incoming.hlc, "incoming"))
    conflicts.append(
        Conflict(
            name,
            Policy.lww,
            state.value,
            value,
            state.hlc,
            incoming.hlc,
            "incoming" if incoming_wins else "server",
        )
    )


def _status(
    name: str,
    state: FieldState | None,
    value: Any,
    incoming: Incoming,
    policy: EntityPolicy,
    changes: dict,
    losers: list,
    conflicts: list,
) -> None:
    now = state.value if state else None
    if value == now:
        return
    if state is None or value in policy.transitions.get(now, frozenset()):
        changes[name] = value
        if state is not None:
            losers.append(Loser(name, now, state.hlc, "server"))
        return
    # Invalid from where the record is now (say, evidence after closure): never applied,
    # never dropped: an addendum for a person to look at.
    losers.append(Loser(name, value, incoming.hlc, "incoming"))
    conflicts.append(Conflict(name, Policy.status, now, value, state.hlc, incoming.hlc, "server"))
