"""The envelope every offline-capable write travels in, from the phone's outbox to the log."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from sync.hlc import HLC

#: how large the fields of one mutation may be once encoded (photos travel apart)
MAX_FIELDS_BYTES = 64 * 1024


class Mutation(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    #: made on the phone; the server applies a mutation id once, whatever happens to the network
    mutation_id: uuid.UUID
    device_id: uuid.UUID
    #: a new epoch means the phone lost its storage (reinstalled, cleared) and started over
    epoch: int = 0
    #: position of this mutation among those the device created in this epoch (1, 2, ...)
    device_seq: int
    entity: str
    #: made on the phone for creates, so a record can be edited before the server has seen it
    record_id: uuid.UUID
    op: str
    fields: dict[str, Any] = msgspec.field(default_factory=dict)
    #: the record's seq when the phone last saw it (0: never seen, a create)
    base_seq: int = 0
    hlc: str
    #: the phone's wall clock in ms, for display only: phones' clocks are wrong
    phone_time: int | None = None


class EnvelopeError(ValueError):
    """The envelope itself is unusable (its payload is still kept as a rejection)."""


def decode(payload: bytes | str | dict[str, Any]) -> Mutation:
    """A Mutation from JSON or a dict; EnvelopeError says what is wrong, in English."""
    try:
        if isinstance(payload, dict):
            mutation = msgspec.convert(payload, Mutation)
        else:
            mutation = msgspec.json.decode(payload, type=Mutation)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise EnvelopeError(str(exc)) from exc
    check(mutation)
    return mutation


def check(mutation: Mutation) -> None:
    try:
        HLC.parse(mutation.hlc)
    except ValueError as exc:
        raise EnvelopeError(str(exc)) from exc
    if mutation.device_seq < 1 or mutation.base_seq < 0 or mutation.epoch < 0:
        raise EnvelopeError("device_seq must be >= 1, base_seq and epoch >= 0")
    if not mutation.entity or not mutation.op:
        raise EnvelopeError("entity and op are required")
    if len(msgspec.json.encode(mutation.fields)) > MAX_FIELDS_BYTES:
        raise EnvelopeError(f"fields larger than {MAX_FIELDS_BYTES} bytes")


def encode(mutation: Mutation) -> bytes:
    return msgspec.json.encode(mutation)
