"""The envelope every offline-capable write travels in, from the phone's outbox to the log."""

from __future__ import annotations

import math
import uuid
from typing import Any

import msgspec

from sync.hlc import HLC

#: how large the fields of one mutation may be once encoded (photos travel apart)
MAX_FIELDS_BYTES = 64 * 1024
#: the largest position or epoch a phone may claim (32-bit columns; a phone makes a few
#: thousand mutations a year, so a claim beyond this is an attack or a bug, never real)
MAX_DEVICE_SEQ = 2**31 - 1
MAX_EPOCH = 2**31 - 1
#: a record's seq is the server's; the server reaches this only after ~9e15 writes
MAX_SEQ = 2**53
#: a phone's wall clock in ms: 2000-01-01 .. 2100-01-01 (anything else is not a clock)
PHONE_TIME_RANGE = (946_684_800_000, 4_102_444_800_000)
#: nested lists and objects in the fields: a form is flat, a track a list of points
MAX_DEPTH = 6


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
        raise EnvelopeError(storable(str(exc))) from exc
    except (UnicodeError, ValueError, TypeError, OverflowError) as exc:
        raise EnvelopeError("the envelope holds a value that is not valid") from exc
    check(mutation)
    return mutation


def check(mutation: Mutation) -> None:
    """Bounds on everything a phone sends, before any work is done with it."""
    try:
        HLC.parse(mutation.hlc)
    except ValueError as exc:
        raise EnvelopeError(str(exc)) from exc
    if not 1 <= mutation.device_seq <= MAX_DEVICE_SEQ:
        raise EnvelopeError(f"device_seq must be between 1 and {MAX_DEVICE_SEQ}")
    if not 0 <= mutation.epoch <= MAX_EPOCH:
        raise EnvelopeError(f"epoch must be between 0 and {MAX_EPOCH}")
    if not 0 <= mutation.base_seq <= MAX_SEQ:
        raise EnvelopeError(f"base_seq must be between 0 and {MAX_SEQ}")
    low, high = PHONE_TIME_RANGE
    if mutation.phone_time is not None and not low <= mutation.phone_time <= high:
        raise EnvelopeError("phone_time is not a time in ms between 2000 and 2100")
    if not mutation.entity or not mutation.op:
        raise EnvelopeError("entity and op are required")
    for text in (mutation.entity, mutation.op, mutation.hlc):
        clean_text(text)
    try:
        encoded = msgspec.json.encode(mutation.fields)
    except (UnicodeEncodeError, OverflowError, msgspec.EncodeError) as exc:
        raise EnvelopeError("the fields cannot be stored") from exc
    if len(encoded) > MAX_FIELDS_BYTES:
        raise EnvelopeError(f"fields larger than {MAX_FIELDS_BYTES} bytes")
    _check_value(mutation.fields, 0)


def clean_text(text: str) -> str:
    """A string as it can be stored on both engines: no NUL (PostgreSQL refuses it) and no
    lone surrogate (not UTF-8). EnvelopeError otherwise."""
    if "\x00" in text:
        raise EnvelopeError("a text contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise EnvelopeError("a text is not valid Unicode") from exc
    return text


def _check_value(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise EnvelopeError(f"fields nested deeper than {MAX_DEPTH}")
    if isinstance(value, str):
        clean_text(value)
    elif isinstance(value, bool) or value is None or isinstance(value, float):
        return
    elif isinstance(value, int):
        if not -MAX_SEQ <= value <= MAX_SEQ:
            raise EnvelopeError("a number in the fields is out of range")
    elif isinstance(value, dict):
        for key, item in value.items():
            clean_text(key)
            _check_value(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, depth + 1)


def storable(value: Any, depth: int = 0) -> Any:
    """A copy of what a phone sent that both engines can store, for a rejection's log row:
    NULs and lone surrogates replaced, numbers out of range (and infinities, which JSON
    cannot hold: PostgreSQL refuses the row) kept as text, depth cut."""
    if depth > MAX_DEPTH * 2:
        return "..."
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -MAX_SEQ <= value <= MAX_SEQ else str(value)
    if isinstance(value, dict):
        return {storable(str(k)): storable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v, depth + 1) for v in value]
    return storable(str(value))


def encode(mutation: Mutation) -> bytes:
    return msgspec.json.encode(mutation)
