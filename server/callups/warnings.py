"""Early warnings (预警): typed in by staff or imported from CAP, matched to our areas.

CAP messages that name one another in <references> form a chain, followed in both
directions whatever order they arrive in (a feed may deliver an Update before its Alert, or
a Cancel that names only the first Alert): after each import the whole chain is settled
again. A chain with a Cancel is cancelled, every message of it, for good (an Update naming
a cancelled alert does not bring it back); otherwise the latest sent is in force and the
others are shown as updated by it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from server import db, geo
from server.audit.service import record_event
from server.auth.service import Viewer
from server.callups import cap
from server.callups import targets as targeting
from server.callups.kinds import HazardType, WarningLevel, WarningState
from server.callups.records import WarningRecord
from server.callups.tables import EarlyWarning
from server.db import as_json
from server.directory import holders
from server.directory import service as directory
from server.errors import DomainError, NotFound, StateConflict
from server.i18n import N_, gettext

NOT_FOUND = N_("This warning does not exist.")


@dataclass(frozen=True)
class Imported:
    """What an import did: created, updated (superseding), cancelled, or already (the same
    alert came before); the warning, and how many call-up targets its areas match."""

    action: str
    warning: WarningRecord
    targets: int
    unknown_references: list[str]


#: why a person is reached by a warning, as the warning page says it
REASONS = {
    "code": N_("named by its division code"),
    "polygon": N_("inside the warning's polygon"),
    "circle": N_("inside the warning's circle"),
    "grid": N_("its grid is in the warning's area (the place has no location)"),
}


@dataclass(frozen=True)
class Reach:
    """What a warning names: areas by code (everyone on duty under them), areas whose
    boundary its shapes overlap (their own posts only: a village beside the polygon is not
    called because its town is), and places inside its shapes; `why` says which rule
    matched each (by area path, or place id as text)."""

    subtrees: list[str]
    areas: list[str]
    places: list[uuid.UUID]
    why: dict[str, str]


async def reach_of(
    codes: list[str],
    polygons: list[list[tuple[float, float]]],
    circles: list[tuple[float, float, float]],
) -> Reach:
    subtrees = holders.outermost(await directory.area_paths_by_code(codes)) if codes else []
    why = dict.fromkeys(subtrees, "code")
    areas: list[str] = []
    places: list[uuid.UUID] = []
    if polygons or circles:
        for path, geometry in await directory.area_shapes():
            rings = geo.rings_of(geometry)
            if any(geo.rings_meet(r, p) for r in rings for p in polygons):
                areas.append(path)
                why.setdefault(path, "polygon")
            elif any(geo.circle_meets(r, c[0], c[1], c[2] * 1000) for r in rings for c in circles):
                areas.append(path)
                why.setdefault(path, "circle")
        touched = set(areas)
        for place_id, grid, lat, lng in await directory.place_locations():
            if lat is None or lng is None:
                reason = "grid" if grid in touched else None
            elif any(geo.inside_polygon(lat, lng, ring) for ring in polygons):
                reason = "polygon"
            elif any(_within(lat, lng, c) for c in circles):
                reason = "circle"
            else:
                reason = None
            if reason:
                places.append(place_id)
                why[str(place_id)] = reason
    return Reach(subtrees, sorted(areas), places, why)


def _within(lat: float, lng: float, circle: tuple[float, float, float]) -> bool:
    clat, clng, radius_km = circle
    return geo.distance_m(lat, lng, clat, clng) <= radius_km * 1000


async def import_cap(data: bytes, actor_id: uuid.UUID | None = None) -> Imported:
    """Store a CAP alert (raises cap.CapRefused with the reason for a file we refuse)."""
    alert = cap.parse(data)
    database = db.current()
    async with database.write():
        await database.serialize("early_warning")
        same = (
            await EarlyWarning.select()
            .where(
                (EarlyWarning.identifier == alert.identifier)
                & (EarlyWarning.sender == alert.sender)
            )
            .first()
        )
        if same:
            warning = WarningRecord.from_row(same)
            return Imported("already", warning, await reach(warning), [])
        earlier, unknown = await _referenced(alert.references)
        row = await _row_of(alert, earlier, actor_id)
        await EarlyWarning.insert(EarlyWarning(**row))
        await _settle(await _chain(row["id"]))
    warning = await load(row["id"])
    action = {"Alert": "created", "Update": "updated", "Cancel": "cancelled"}[alert.msg_type]
    return Imported(action, warning, await reach(warning), unknown)


def _tokens(refs: str) -> set[tuple[str, str]]:
    return {tuple(t.split(",", 1)) for t in refs.split() if "," in t}  # type: ignore[misc]


async def _chain(start: uuid.UUID) -> list[dict[str, Any]]:
    """Every CAP message linked to `start` by references, either way."""
    found: dict[uuid.UUID, dict[str, Any]] = {}
    todo = [await EarlyWarning.select().where(EarlyWarning.id == start).first()]
    while todo:
        row = todo.pop()
        if row is None or row["id"] in found:
            continue
        found[row["id"]] = row
        named, _unknown = await _referenced(sorted(_tokens(row["refs"])))
        naming = await EarlyWarning.select().where(
            EarlyWarning.refs.like(f"%{row['identifier']}%")  # then checked exactly
        )
        me = (row["sender"], row["identifier"])
        todo += named + [r for r in naming if me in _tokens(r["refs"])]
    return list(found.values())


async def _settle(chain: list[dict[str, Any]]) -> None:
    """The state of each message of a chain, from the chain as a whole."""
    latest = max(chain, key=lambda r: (r["sent_at"], r["created_at"]))
    cancels = [r for r in chain if r["msg_type"] == "Cancel"]
    final = max(cancels, key=lambda r: (r["sent_at"], r["created_at"])) if cancels else latest
    for row in chain:
        state = (
            WarningState.cancelled
            if cancels
            else WarningState.active
            if row is final
            else WarningState.updated
        )
        values: dict[Any, Any] = {
            EarlyWarning.state: state.value,
            EarlyWarning.superseded_by: None if row is final else final["id"],
        }
        if row is final and cancels and not as_json(row["texts"]):
            # a Cancel without <info> shows what it cancels: the latest warning of its chain
            shown = max(
                (r for r in chain if r["msg_type"] != "Cancel"),
                key=lambda r: (r["sent_at"], r["created_at"]),
                default=None,
            )
            if shown is not None:
                values.update(
                    {
                        EarlyWarning.level: shown["level"],
                        EarlyWarning.hazard_type: shown["hazard_type"],
                        EarlyWarning.headline: shown["headline"],
                        EarlyWarning.area_paths: as_json(row["area_paths"])
                        or as_json(shown["area_paths"]),
                        EarlyWarning.reach_areas: as_json(row["reach_areas"])
                        or as_json(shown["reach_areas"]),
                        EarlyWarning.reach_places: as_json(row["reach_places"])
                        or as_json(shown["reach_places"]),
                        EarlyWarning.reach_why: as_json(row["reach_why"])
                        or as_json(shown["reach_why"]),
                    }
                )
        await EarlyWarning.update(values).where(EarlyWarning.id == row["id"])


async def _referenced(references: list[tuple[str, str]]) -> tuple[list[dict], list[str]]:
    found, unknown = [], []
    for sender, identifier in references:
        row = (
            await EarlyWarning.select()
            .where((EarlyWarning.identifier == identifier) & (EarlyWarning.sender == sender))
            .first()
        )
        if row:
            found.append(row)
        else:
            unknown.append(identifier)
    return found, unknown


async def _row_of(
    alert: cap.CapAlert, earlier: list[dict], actor_id: uuid.UUID | None
) -> dict[str, Any]:
    main = alert.main
    areas = [a for info in alert.infos for a in info.areas]
    codes = sorted({c for a in areas for c in cap.admin_codes(a)})
    polygons = [p for a in areas for p in a.polygons]
    circles = [c for a in areas for c in a.circles]
    reach = await reach_of(codes, polygons, circles)
    paths, reach_areas, reach_places = reach.subtrees, reach.areas, [str(p) for p in reach.places]
    reach_why = reach.why
    if main is None:  # a Cancel without <info>: what it cancels says what it was
        base = earlier[0] if earlier else None
        level = base["level"] if base else WarningLevel.blue.value
        kind = base["hazard_type"] if base else HazardType.other.value
        headline = f"{base['headline'] if base else alert.identifier}"[:200]
        paths = paths or (as_json(base["area_paths"]) if base else [])
        if base and not (reach_areas or reach_places):
            reach_areas, reach_places = as_json(base["reach_areas"]), as_json(base["reach_places"])
            reach_why = as_json(base["reach_why"]) or {}
        texts: list[dict] = []
        main_fields = {"description": "", "instruction": "", "valid_from": None, "valid_to": None}
    else:
        level, kind, headline = main.level.value, main.hazard_type.value, main.headline[:200]
        texts = [
            {
                "language": i.language,
                "event": i.event,
                "headline": i.headline,
                "description": i.description,
                "instruction": i.instruction,
                "area_desc": "；".join(a.desc for a in i.areas),
            }
            for i in alert.infos
        ]
        main_fields = {
            "description": main.description,
            "instruction": main.instruction,
            "valid_from": main.effective,
            "valid_to": main.expires,
        }
    return {
        "id": uuid.uuid4(),
        "source": "cap",
        "identifier": alert.identifier[:160],
        "sender": alert.sender[:160],
        "msg_type": alert.msg_type,
        "status": alert.status,
        "hazard_type": kind,
        "level": level,
        "headline": headline,
        "texts": texts,
        "area_desc": (texts[0]["area_desc"] if texts else "")[:500],
        "area_codes": codes,
        "area_paths": paths,
        "reach_areas": reach_areas,
        "reach_places": reach_places,
        "reach_why": reach_why,
        "polygons": [[list(p) for p in ring] for ring in polygons],
        "circles": [list(c) for c in circles],
        "sent_at": alert.sent,
        "state": (
            WarningState.cancelled if alert.msg_type == "Cancel" else WarningState.active
        ).value,
        "supersedes": earlier[0]["id"] if earlier else None,
        "refs": " ".join(f"{s},{i}" for s, i in alert.references)[:4000],
        "created_by": actor_id,
        **main_fields,
    }


async def reach(warning: WarningRecord) -> int:
    """How many people a call-up for this warning would reach by default."""
    return await holders.count_holders(
        warning.area_paths,
        list(targeting.DEFAULT_KINDS),
        own=warning.reach_areas,
        places=warning.reach_places,
    )


@dataclass(frozen=True)
class Reached:
    """A person a warning reaches, and why (for the warning's page)."""

    person_id: uuid.UUID
    name: str
    post: str
    where: str
    why: str


async def people(warning: WarningRecord, limit: int = 500) -> list[Reached]:
    """Whom a call-up drafted from this warning reaches by default (the same rule), each
    with their post, where it is and which of the warning's rules matched."""
    found = await holders.holders_in(
        warning.area_paths,
        list(targeting.DEFAULT_KINDS),
        own=warning.reach_areas,
        places=warning.reach_places,
    )
    found = found[:limit]
    why = warning.reach_why  # kept at import: a page view draws no shapes
    names = await directory.person_names([h.person_id for h in found])
    posts = await directory.post_labels([h.post_id for h in found])
    area_names = await directory.area_names([h.area_path for h in found])
    shown = []
    for h in found:
        if h.place_id is not None and str(h.place_id) in why:
            reason = why[str(h.place_id)]
        elif h.place_id is None and h.area_path in warning.reach_areas:
            reason = why.get(h.area_path, "polygon")
        else:
            reason = "code"
        post, where = posts.get(h.post_id, ("", ""))
        shown.append(
            Reached(
                h.person_id,
                names.get(h.person_id, ""),
                post,
                where or area_names.get(h.area_path, h.area_path),
                gettext(REASONS[reason]),
            )
        )
    return sorted(shown, key=lambda r: (r.where, r.post, r.name))


@dataclass(frozen=True)
class ManualWarning:
    hazard_type: str
    level: str
    headline: str
    description: str
    area_paths: list[str]
    drill: bool = False
    valid_hours: int = 24


async def create_manual(viewer: Viewer, w: ManualWarning) -> uuid.UUID:
    if w.hazard_type not in HazardType.__members__ or w.level not in WarningLevel.__members__:
        raise DomainError(N_("Choose the type and level of the warning."))
    if not w.headline.strip():
        raise DomainError(N_("Give the warning a headline."))
    if not w.area_paths or not all(viewer.scope.covers_path(p) for p in w.area_paths):
        raise DomainError(N_("Choose at least one of your areas."))
    now = datetime.now(UTC)
    warning_id = uuid.uuid4()
    async with db.current().write():
        await EarlyWarning.insert(
            EarlyWarning(
                id=warning_id,
                source="manual",
                identifier=f"manual-{warning_id}",
                sender=viewer.name,
                status="Exercise" if w.drill else "Actual",
                hazard_type=w.hazard_type,
                level=w.level,
                headline=w.headline.strip()[:200],
                description=w.description.strip()[:4000],
                area_paths=holders.outermost(w.area_paths),
                valid_from=now,
                valid_to=now + timedelta(hours=max(1, min(w.valid_hours, 720))),
                sent_at=now,
                created_by=viewer.person_id,
            )
        )
    return warning_id


async def lift_manual(viewer: Viewer, warning_id: uuid.UUID) -> None:
    """A warning typed in here is lifted (解除) here, as a CAP Cancel lifts an imported one:
    by staff whose areas hold every area it names. Evacuations started from it turn to the
    return home (evacuation/escalation.py); call-ups keep running until closed."""
    warning = await get(viewer, warning_id)
    if warning.source != "manual":
        raise DomainError(N_("This warning came from a warning system: only its Cancel lifts it."))
    if not all(viewer.scope.covers_path(p) for p in warning.area_paths):
        raise DomainError(N_("Only staff over every area of the warning may lift it."))
    if warning.state is not WarningState.active:
        raise StateConflict(N_("This warning is not in force."))
    async with db.current().write():
        await EarlyWarning.update({EarlyWarning.state: WarningState.cancelled.value}).where(
            EarlyWarning.id == warning_id
        )
        await record_event(
            "warning.lifted", entity="early_warning", record_id=str(warning_id),
            actor_id=viewer.person_id,
        )  # fmt: skip


def concerns(viewer: Viewer, warning: WarningRecord) -> bool:
    """A warning concerns staff whose area it covers (it names their area or one above it)
    or who cover an area it names; another town's warning is not theirs to see."""
    return viewer.scope.everything or any(
        viewer.scope.covers_path(p) or viewer.scope.sees_ancestor(p)
        for p in [*warning.area_paths, *warning.reach_areas]
    )


async def load(warning_id: uuid.UUID) -> WarningRecord:
    """A warning by id, unscoped: for the page of a call-up the viewer may already see."""
    row = await EarlyWarning.select().where(EarlyWarning.id == warning_id).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return WarningRecord.from_row(row)


async def lifted(warning_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of these warnings that have been lifted (a Cancel of their chain): one query."""
    if not warning_ids:
        return set()
    rows = await EarlyWarning.select(EarlyWarning.id).where(
        EarlyWarning.id.is_in(list(set(warning_ids)))
        & (EarlyWarning.state == WarningState.cancelled.value)
    )
    return {r["id"] for r in rows}


async def get(viewer: Viewer, warning_id: uuid.UUID) -> WarningRecord:
    warning = await load(warning_id)
    if not concerns(viewer, warning):
        raise NotFound(NOT_FOUND)
    return warning


async def in_force(viewer: Viewer, limit: int = 5) -> list[WarningRecord]:
    """The warnings in force over the viewer's areas, newest first (the duty officer's home)."""
    rows = (
        await EarlyWarning.select()
        .where(EarlyWarning.state == WarningState.active.value)
        .order_by(EarlyWarning.sent_at, ascending=False)
        .limit(200)
    )
    found = (WarningRecord.from_row(r) for r in rows)
    return [w for w in found if w.state is WarningState.active and concerns(viewer, w)][:limit]


async def recent(viewer: Viewer, limit: int = 50) -> list[WarningRecord]:
    rows = await EarlyWarning.select().order_by(EarlyWarning.sent_at, ascending=False).limit(500)
    found = (WarningRecord.from_row(r) for r in rows)
    return [w for w in found if concerns(viewer, w)][:limit]
