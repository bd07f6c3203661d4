"""A message's 收到 as a sync entity: the action taken, last writer wins; messages are made
by the server, never by a phone."""

from __future__ import annotations

from sync.merge import EntityPolicy, FieldRule, Policy

ACTIONS = frozenset({"ack", "open"})
MESSAGE_POLICY = EntityPolicy(
    entity="message",
    fields={"action": FieldRule(Policy.lww)},
    create_ops=frozenset(),
)
