"""The hazard's rules in one table: statuses, the ops a phone or a desk may send, who may
send each, and the merge policy of every field (see sync/merge.py for what each policy does).

| op                | moves status to | who (judged on current posts)                  |
| ----------------- | --------------- | ---------------------------------------------- |
| report            | reported        | anyone whose scope covers the grid             |
| add_photos/follow | -               | anyone whose scope covers the hazard           |
| note              | -               | anyone whose scope covers the hazard           |
| accept            | accepted        | staff over the hazard                          |
| reject            | rejected        | staff over the hazard (a reason is required)   |
| transfer          | transferred     | staff over the hazard: to a department (转办)  |
| decline_transfer  | reported        | the department's staff (a reason is required)  |
| merge             | merged          | staff over the hazard (the target is required) |
| set_level         | -               | staff over the hazard                          |
| assign            | assigned        | staff over the hazard                          |
| rectify           | rectified       | the assignee, a grid member of its grid, staff |
| request_extension | -               | the assignee, a grid member of its grid, staff |
| decide_extension  | -               | staff over the hazard                          |
| verify            | closed          | staff over the hazard; an after-photo needed   |
| send_back         | assigned        | staff over the hazard (a reason is required)   |
| supervise         | -               | bureau staff or admin; major hazards only      |
| close_supervision | -               | the supervising unit only, once closed (销号)  |
| recheck           | - / assigned    | the grid member or staff, when a re-check is   |
|                   |                 | due (回头看); 未整改 reopens it                 |

"Staff over the hazard" includes, for a hazard transferred to a department, that
department's staff (and only them among people outside the area).

A status step that is not valid from where the hazard is now (evidence after closure) is not
refused: the merge keeps it as an addendum and raises a conflict (sync/merge.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from server.i18n import N_, gettext
from sync.merge import EntityPolicy, FieldRule, Policy


class Status(StrEnum):
    reported = "reported"
    accepted = "accepted"
    rejected = "rejected"
    merged = "merged"
    assigned = "assigned"
    rectified = "rectified"
    closed = "closed"
    #: 已移交: passed to the responsible department, which accepts or declines it
    transferred = "transferred"

    @property
    def label(self) -> str:
        return gettext(_STATUS_LABELS[self])


_STATUS_LABELS = {
    Status.reported: N_("Awaiting triage"),
    Status.accepted: N_("Accepted"),
    Status.rejected: N_("Not accepted"),
    Status.merged: N_("Merged"),
    Status.assigned: N_("Being rectified"),
    Status.rectified: N_("Awaiting verification"),
    Status.closed: N_("Closed"),
    Status.transferred: N_("Transferred"),
}
#: statuses in which the hazard still needs work (open in ledgers and figures)
OPEN = frozenset(
    {Status.reported, Status.accepted, Status.assigned, Status.rectified, Status.transferred}
)
#: 回头看: a closed major hazard is checked again this many days after its closure
RECHECK_DAYS = 30


class RecheckResult(StrEnum):
    fixed = "fixed"
    not_fixed = "not_fixed"

    @property
    def label(self) -> str:
        return gettext(
            N_("Still rectified") if self is RecheckResult.fixed else N_("Not rectified")
        )


class Level(StrEnum):
    general = "general"
    major = "major"

    @property
    def label(self) -> str:
        return gettext(N_("General") if self is Level.general else N_("Major"))


class RejectReason(StrEnum):
    not_hazard = "not_hazard"
    duplicate = "duplicate"
    outside = "outside"

    @property
    def label(self) -> str:
        return gettext(_REJECT_LABELS[self])


_REJECT_LABELS = {
    RejectReason.not_hazard: N_("Not a hazard"),
    RejectReason.duplicate: N_("Duplicate"),
    RejectReason.outside: N_("Outside our jurisdiction"),
}

TRANSITIONS = {
    Status.reported: frozenset(
        {Status.accepted, Status.rejected, Status.merged, Status.transferred}
    ),
    Status.accepted: frozenset(
        {Status.assigned, Status.rejected, Status.merged, Status.transferred}
    ),
    # the department accepts it, or declines it back to the station with its reason
    Status.transferred: frozenset({Status.accepted, Status.reported}),
    Status.rejected: frozenset({Status.accepted}),
    Status.assigned: frozenset({Status.rectified}),
    Status.rectified: frozenset({Status.closed, Status.assigned}),
    # reopened: sent back after closure, or found not rectified at a re-check (回头看)
    Status.closed: frozenset({Status.assigned}),
    Status.merged: frozenset(),
}

LWW = FieldRule(Policy.lww)
UNION = FieldRule(Policy.union)
HAZARD_POLICY = EntityPolicy(
    entity="hazard",
    fields={
        **dict.fromkeys(
            [
                "category",
                "level",
                "description",
                "lat",
                "lng",
                "accuracy",
                "address",
                "place_id",
                "area_path",
                "source",
                "reject_reason",
                "merged_into",
                "assignee_id",
                "assignee_unit",
                "measures",
                "deadline",
                "extension_until",
                "extension_reason",
                "rectify_note",
                "sendback_reason",
                "verify_note",
                "supervision",
                "department_id",
                "transfer_note",
                "recheck_result",
                "recheck_note",
                "delisted_on",
                "delist_note",
            ],
            LWW,
        ),
        **dict.fromkeys(["photos_before", "photos_after", "followers", "notes"], UNION),
        "status": FieldRule(Policy.status),
    },
    transitions={k.value: frozenset(v.value for v in vs) for k, vs in TRANSITIONS.items()},
    initial=frozenset({Status.reported.value}),
    create_ops=frozenset({"report"}),
)


#: what each field is called where a person sees it by itself (a conflict to settle)
FIELD_LABELS = {
    "category": N_("Category"),
    "level": N_("Level"),
    "description": N_("Description"),
    "lat": N_("Location"),
    "lng": N_("Location"),
    "accuracy": N_("Location"),
    "address": N_("Address"),
    "place_id": N_("Place"),
    "area_path": N_("Area"),
    "reject_reason": N_("Reason"),
    "merged_into": N_("The hazard it duplicates"),
    "assignee_id": N_("Responsible person"),
    "assignee_unit": N_("Responsible unit"),
    "measures": N_("Required measures"),
    "deadline": N_("Deadline"),
    "extension_until": N_("New deadline"),
    "extension_reason": N_("Reason"),
    "rectify_note": N_("What was done"),
    "sendback_reason": N_("Reason"),
    "verify_note": N_("Verification note"),
    "supervision": N_("Put under supervision (挂牌督办)"),
    "department_id": N_("Department"),
    "transfer_note": N_("Reason"),
    "recheck_result": N_("Re-check result"),
    "recheck_note": N_("Re-check note"),
    "delisted_on": N_("Delisted on"),
    "delist_note": N_("Delisting note"),
    "photos_before": N_("Photos"),
    "photos_after": N_("Photos after rectification"),
    "notes": N_("Note"),
    "status": N_("Status"),
}


class Who(StrEnum):
    scope = "scope"  # anyone whose posts cover the hazard's area
    staff = "staff"  # station or bureau staff, admin, over the area
    handler = "handler"  # the assignee, a grid member of the hazard's grid, or staff
    supervisor = "supervisor"  # bureau staff or admin (挂牌督办 is a city or county act)
    supervising_unit = "supervising_unit"  # bureau staff of the unit that supervises it


@dataclass(frozen=True)
class Op:
    who: Who
    #: fields the op may carry (the status it moves to is added by the op itself)
    fields: frozenset[str]
    #: in the order a person fills the form: the first missing one is named
    required: tuple[str, ...] = ()
    status: Status | None = None


def _op(who: Who, fields: str, required: str = "", status: Status | None = None) -> Op:
    return Op(who, frozenset(fields.split()), tuple(required.split()), status)


OPS: dict[str, Op] = {
    "report": _op(
        Who.scope,
        "category level description lat lng accuracy address place_id area_path source "
        "photos_before followers",
        "category level area_path",
        Status.reported,
    ),
    "add_photos": _op(Who.scope, "photos_before followers", "photos_before"),
    "follow": _op(Who.scope, "followers", "followers"),
    "note": _op(Who.scope, "notes", "notes"),
    # a wrong GPS fix corrected on the map (the pin dragged), by anyone who works on it
    "relocate": _op(Who.scope, "lat lng accuracy", "lat lng"),
    "accept": _op(Who.staff, "level", "", Status.accepted),
    "reject": _op(Who.staff, "reject_reason", "reject_reason", Status.rejected),
    "merge": _op(Who.staff, "merged_into", "merged_into", Status.merged),
    "set_level": _op(Who.staff, "level", "level"),
    "assign": _op(
        Who.staff,
        "assignee_id assignee_unit measures deadline",
        "assignee_unit measures deadline",
        Status.assigned,
    ),
    "rectify": _op(Who.handler, "photos_after rectify_note", "photos_after", Status.rectified),
    "request_extension": _op(
        Who.handler, "extension_until extension_reason", "extension_until extension_reason"
    ),
    "decide_extension": _op(Who.staff, "deadline extension_until extension_reason"),
    "verify": _op(Who.staff, "photos_after verify_note", "", Status.closed),
    "send_back": _op(Who.staff, "sendback_reason", "sendback_reason", Status.assigned),
    "supervise": _op(Who.supervisor, "supervision", "supervision"),
    # 销号 (delisting): the supervising unit ends the supervision of a closed hazard
    "close_supervision": _op(Who.supervising_unit, "delisted_on delist_note", "delisted_on"),
    "transfer": _op(Who.staff, "department_id transfer_note", "department_id", Status.transferred),
    # the department sends it back (not its sector): the station triages it again
    "decline_transfer": _op(
        Who.staff, "department_id transfer_note", "transfer_note", Status.reported
    ),
    # 回头看: "not_fixed" reopens the hazard (fields.clean adds the status)
    "recheck": _op(
        Who.handler, "recheck_result recheck_note photos_after", "recheck_result photos_after"
    ),
}

#: 挂牌督办: the five things that must be in place (五落实), each a required text
SUPERVISION_FIELDS = {
    "responsibility": N_("Responsibility"),
    "measures": N_("Measures"),
    "funds": N_("Funds"),
    "deadline": N_("Time limit"),
    "plan": N_("Contingency plan"),
}

_EVENT_LABELS = {
    "report": N_("Reported"),
    "add_photos": N_("Photo added"),
    "follow": N_("Followed"),
    "note": N_("Note"),
    "relocate": N_("Position corrected on the map"),
    "accept": N_("Accepted"),
    "reject": N_("Not accepted"),
    "merge": N_("Merged as a duplicate"),
    "merge_in": N_("A duplicate report merged in"),
    "set_level": N_("Level changed"),
    "assign": N_("Assigned for rectification"),
    "rectify": N_("Rectification recorded"),
    "request_extension": N_("Extension asked"),
    "decide_extension": N_("Extension decided"),
    "verify": N_("Verified and closed"),
    "send_back": N_("Sent back"),
    "supervise": N_("Put under supervision"),
    "close_supervision": N_("Supervision closed (销号)"),
    "transfer": N_("Transferred to a department"),
    "decline_transfer": N_("Transfer declined by the department"),
    "recheck": N_("Re-checked (回头看)"),
    "resolve": N_("Conflict settled"),
    "remind": N_("Deadline reminder"),
    "overdue": N_("Overdue: escalated to the station"),
}


def event_label(kind: str) -> str:
    return gettext(_EVENT_LABELS.get(kind, kind))


def level_label(value: str) -> str:
    try:
        return Level(value).label
    except ValueError:
        return value


def reject_label(value: str) -> str:
    try:
        return RejectReason(value).label
    except ValueError:
        return value


_NOTICE_LABELS = {
    "assign": N_("A hazard was assigned to you"),
    "send_back": N_("A rectification was sent back to you"),
    "remind": N_("A rectification deadline is near"),
    "overdue": N_("A hazard is overdue"),
    "transferred": N_("A hazard was transferred to your department"),
    "declined": N_("A department sent a transferred hazard back"),
    "reopened": N_("A re-check found a closed hazard not rectified"),
    # to the station over the grid
    "reported": N_("A new hazard waits for triage"),
    # to the reporter
    "accepted": N_("A hazard you reported was accepted"),
    "sent_back": N_("A hazard you reported was sent back for rectification"),
    "closed": N_("A hazard you reported was closed"),
}


def notice_label(kind: str) -> str:
    return gettext(_NOTICE_LABELS.get(kind, kind))


def recheck_label(value: str) -> str:
    try:
        return RecheckResult(value).label
    except ValueError:
        return value


LABELS = {
    "recheck_label": recheck_label,
    "event_label": event_label,
    "level_label": level_label,
    "reject_label": reject_label,
    "notice_label": notice_label,
}
