"""Who may see and mark what in an evacuation, and the roster row as a sync entity.

| who                                         | sees the household | marks it | watches the board |
| ------------------------------------------- | ------------------ | -------- | ----------------- |
| its 包保人 (the household_keeper post named) | yes                | yes      | no                |
| grid member, village cadres, flood_admin,   | in their areas     | yes      | no                |
| station and bureau staff, duty officers     | in their areas     | yes      | their areas       |
| a shelter's manager                         | those checked in   | no       | no                |
| anyone else                                 | no                 | no       | no                |

A household keeper's post opens only the households it is named for, not the village's.
Marks merge as a union (every mark kept, keyed by its mutation id); which one counts is the
latest by trusted time (the phone's time, trusted between the start and the receipt)."""

from __future__ import annotations

import uuid

from server.auth.access import ON_DUTY
from server.auth.service import Viewer
from server.directory.kinds import PostKind
from server.evacuation.records import EvacRecord
from sync.merge import EntityPolicy, FieldRule, Policy

#: post kinds whose areas' households they answer for
RESPONSIBLE = frozenset(
    {
        PostKind.grid_member,
        PostKind.grid_leader,
        PostKind.village_committee,
        PostKind.flood_admin,
        PostKind.safety_officer,
        *ON_DUTY,
    }
)

ROW_POLICY = EntityPolicy(
    entity="evac_row",
    fields={"marks": FieldRule(Policy.union)},
    create_ops=frozenset(),
)


def area_prefixes(viewer: Viewer) -> list[str]:
    """The area paths under which the viewer answers for households (None of a keeper's)."""
    if viewer.scope.everything:
        return ["/"]
    return [
        p.area_path
        for p in viewer.posts
        if p.kind in RESPONSIBLE and p.area_path and p.place_id is None and p.active
    ]


def answers_for(viewer: Viewer, area_path: str, keeper_id: uuid.UUID | None) -> bool:
    """May the viewer see this household's people and mark it."""
    if keeper_id is not None and keeper_id == viewer.person_id:
        return True
    return any(area_path.startswith(p) for p in area_prefixes(viewer))


def can_watch(viewer: Viewer, evacuation: EvacRecord) -> bool:
    """Staff and duty officers whose areas hold every village of the evacuation."""
    return bool(viewer.kinds & ON_DUTY) and (
        viewer.scope.everything
        or (
            bool(evacuation.area_paths)
            and all(viewer.scope.covers_path(p) for p in evacuation.area_paths)
        )
    )
