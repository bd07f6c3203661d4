"""A call-up target's answer as a sync entity: each field last-writer-wins, never created
from a phone (the call-up's send makes the targets)."""

from __future__ import annotations

from sync.merge import EntityPolicy, FieldRule, Policy

FIELDS = ("answer", "note", "reason", "lat", "lng", "standin")
TARGET_POLICY = EntityPolicy(
    entity="callup_target",
    fields={name: FieldRule(Policy.lww) for name in FIELDS},
    create_ops=frozenset(),
)
