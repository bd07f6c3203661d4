"""Every merge policy as a table of (server state, incoming mutation, expected outcome)."""

from __future__ import annotations

import pytest

from sync.merge import (
    EntityPolicy,
    FieldRule,
    FieldState,
    Incoming,
    Outcome,
    Policy,
    RecordState,
    Verdict,
    merge,
)

POLICY = EntityPolicy(
    entity="hazard",
    fields={
        "title": FieldRule(Policy.lww),
        "level": FieldRule(Policy.lww, roles=frozenset({"station_staff"})),
        "photos": FieldRule(Policy.union),
        "status": FieldRule(Policy.status),
        "verified_by": FieldRule(Policy.server),
    },
    transitions={
        "reported": frozenset({"accepted", "rejected"}),
        "accepted": frozenset({"rectified"}),
        "rectified": frozenset({"closed", "accepted"}),
    },
    initial=frozenset({"reported"}),
)
OLD, MID, NEW = "0000000001000-00000-a", "0000000002000-00000-b", "0000000003000-00000-c"


def record(seq: int = 5, **fields: tuple) -> RecordState:
    """fields: name=(value, seq, hlc)."""
    return RecordState({k: FieldState(*v) for k, v in fields.items()}, seq)


def incoming(
    base_seq: int = 5,
    hlc: str = MID,
    roles: tuple = ("grid_member",),
    creating: bool = False,
    **fields,
) -> Incoming:
    return Incoming(fields, base_seq, hlc, frozenset(roles), creating)


# (case, server record, incoming, verdict, changes, losers as (field, value, source), conflicts)
# fmt: off
LWW = [
    ("clean edit, the old value to history",
     record(title=("a", 3, OLD)), incoming(title="b"),
     Verdict.applied, {"title": "b"}, [("title", "a", "server")], []),
    ("same value, nothing to do",
     record(title=("a", 3, OLD)), incoming(title="a"),
     Verdict.applied, {}, [], []),
    ("concurrent edit, incoming later wins",
     record(seq=9, title=("a", 9, OLD)), incoming(title="b", hlc=NEW),
     Verdict.conflicted, {"title": "b"}, [("title", "a", "server")], ["title"]),
    ("concurrent edit, server later wins, incoming kept",
     record(seq=9, title=("a", 9, NEW)), incoming(title="b", hlc=MID),
     Verdict.conflicted, {}, [("title", "b", "incoming")], ["title"]),
    ("concurrent edit to the same value",
     record(seq=9, title=("b", 9, NEW)), incoming(title="b"),
     Verdict.merged, {}, [], []),
    ("concurrent edit of another field merges",
     record(seq=9, title=("a", 2, OLD), level=("一般", 9, NEW)), incoming(title="b"),
     Verdict.merged, {"title": "b"}, [("title", "a", "server")], []),
    ("field never set",
     record(), incoming(title="b"),
     Verdict.applied, {"title": "b"}, [], []),
]
UNION = [
    ("items added",
     record(photos=([{"id": "p1"}], 3, OLD)), incoming(photos=[{"id": "p2"}]),
     Verdict.applied, {"photos": [{"id": "p1"}, {"id": "p2"}]}, [], []),
    ("concurrent additions union, no conflict",
     record(seq=9, photos=([{"id": "p1"}, {"id": "p3"}], 9, NEW)),
     incoming(photos=[{"id": "p1"}, {"id": "p2"}]),
     Verdict.merged, {"photos": [{"id": "p1"}, {"id": "p3"}, {"id": "p2"}]}, [], []),
    ("replayed items change nothing",
     record(photos=([{"id": "p1"}], 3, OLD)), incoming(photos=[{"id": "p1"}]),
     Verdict.applied, {}, [], []),
    ("duplicates inside one mutation",
     record(), incoming(photos=[{"id": "p1"}, {"id": "p1"}]),
     Verdict.applied, {"photos": [{"id": "p1"}]}, [], []),
]
STATUS = [
    ("valid step",
     record(status=("reported", 3, OLD)), incoming(status="accepted"),
     Verdict.applied, {"status": "accepted"}, [("status", "reported", "server")], []),
    ("valid step from the current state even when concurrent",
     record(seq=9, status=("accepted", 9, NEW)), incoming(status="rectified", base_seq=2),
     Verdict.merged, {"status": "rectified"}, [("status", "accepted", "server")], []),
    ("evidence after closure: an addendum and a conflict, never applied",
     record(seq=9, status=("closed", 9, NEW)), incoming(status="rectified", hlc=NEW),
     Verdict.conflicted, {}, [("status", "rectified", "incoming")], ["status"]),
    ("a jump the machine does not allow",
     record(status=("reported", 3, OLD)), incoming(status="closed"),
     Verdict.conflicted, {}, [("status", "closed", "incoming")], ["status"]),
    ("create in an initial status",
     None, incoming(status="reported", creating=True, base_seq=0),
     Verdict.applied, {"status": "reported"}, [], []),
]
# fmt: on


@pytest.mark.parametrize(
    ("case", "server", "mutation", "verdict", "changes", "losers", "conflicts"),
    LWW + UNION + STATUS,
    ids=[c[0] for c in LWW + UNION + STATUS],
)
def test_policies(case, server, mutation, verdict, changes, losers, conflicts) -> None:
    outcome: Outcome = merge(server, mutation, POLICY)
    assert outcome.verdict is verdict, outcome.reason
    assert outcome.changes == changes
    assert [(x.field, x.value, x.source) for x in outcome.losers] == losers
    assert [c.field for c in outcome.conflicts] == conflicts


REJECTED = [
    ("server-only field", record(), incoming(verified_by="me"), "server only"),
    ("unknown field", record(), incoming(colour="red"), "unknown field"),
    ("authority from current posts", record(), incoming(level="重大"), "may be set only by"),
    ("union items need ids", record(), incoming(photos=["x.jpg"]), "with an id"),
    ("update of a missing record", None, incoming(title="x"), "does not exist"),
    ("create in a later status", None, incoming(status="closed", creating=True), "cannot start"),
]


@pytest.mark.parametrize(
    ("case", "server", "mutation", "reason"), REJECTED, ids=[c[0] for c in REJECTED]
)
def test_rejections(case, server, mutation, reason) -> None:
    outcome = merge(server, mutation, POLICY)
    assert outcome.verdict is Verdict.rejected and reason in outcome.reason
    assert outcome.changes == {} and outcome.conflicts == ()


def test_authority_granted_by_current_post() -> None:
    outcome = merge(record(), incoming(level="重大", roles=("station_staff",)), POLICY)
    assert outcome.changes == {"level": "重大"}
