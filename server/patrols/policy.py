"""The patrol's rules as a sync entity: its fields' merge policies, its states and the op
that creates it (the adapter binds them to sync)."""

from __future__ import annotations

from sync.merge import EntityPolicy, FieldRule, Policy

PATROL_POLICY = EntityPolicy(
    entity="patrol",
    fields={
        "plan_id": FieldRule(Policy.lww),
        "area_path": FieldRule(Policy.lww),
        "state": FieldRule(Policy.status),
        "points": FieldRule(Policy.union),
        "checkins": FieldRule(Policy.union),
    },
    transitions={"started": frozenset({"ended"}), "ended": frozenset()},
    initial=frozenset({"started"}),
    create_ops=frozenset({"start"}),
)
