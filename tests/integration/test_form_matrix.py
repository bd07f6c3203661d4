"""The write-side matrix of the pages: every form (and JSON) POST that changes a record, sent
by a person in every relation to a record in one grid (cast.RELATIONS) and anonymously.
Only the allowed ones change anything: the stored rows of every domain table are compared
before and after each request, not only the status answered (issue 14, "Done when").

The call-up's sync entity (`callup_target` confirm), the patrol's ops and the message's
`act` are here too, sent as phones send them. Expectations are written out by hand.

A write route missing from CASES (or from ADMIN_ONLY) fails the test: a new route must
say who may use it."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server import db
from server.audit.tables import AuditEvent
from server.auth import service as auth
from server.auth.tables import LoginAttempt
from server.callups import messages as callup_messages
from server.callups import service as callups
from server.callups.adapter import CallupTargetAdapter
from server.callups.tables import CallupTarget
from server.callups.targets import DEFAULT_KINDS
from server.directory.service import area_by_path
from server.directory.tables import Area, Place, Post
from server.evacuation import planning, shelters
from server.evacuation import service as evacuations
from server.evacuation.adapter import EvacRowAdapter
from server.evacuation.kinds import ShelterLevel, ZoneKind
from server.evacuation.tables import (
    DangerZone,
    EvacRow,
    Evacuation,
    Household,
    Resident,
    Shelter,
)
from server.notify.acks import MessageAdapter
from server.notify.tables import Message
from server.piccolo_app import TABLES
from server.syncing import service as syncing
from sync.tables import SyncAlert, SyncConflict, SyncDevice, SyncMutation
from tests.integration.callups.people import draft
from tests.integration.cast import UP_THE_CHAIN, mobiles_for, town_of
from tests.integration.hazards.people import GRID_MEMBER, hazard_in, report_fields, send
from tests.integration.helpers import csrf_token
from tests.integration.tipoffs.test_rewards import a_tipoff

pytestmark = pytest.mark.db

#: tables that record the attempt itself (throttles, the audit trail, the sync log
#: keeping a rejected mutation as a rejection): everything else is the product's state
NOT_STATE = {LoginAttempt, AuditEvent, SyncMutation, SyncDevice, SyncAlert}
#: columns that note a visit, not a change
VISIT = {"last_seen_at", "last_login_at", "last_seen", "seen_at", "expires_at"}

SCOPE = frozenset({"grid", "duty_officer", "flood_admin", *UP_THE_CHAIN})
WATCHERS = frozenset({*UP_THE_CHAIN, "duty_officer"})  # issuers whose area covers the town
BUREAUS = frozenset({"district_bureau", "city_bureau", "admin"})
NOBODY: frozenset[str] = frozenset()


async def state() -> str:
    """A digest of every row of every table of the product's state."""
    digest = hashlib.sha256()
    for table in TABLES:
        if table in NOT_STATE:
            continue
        rows = await table.select()
        lines = sorted(
            repr(sorted((k, repr(v)) for k, v in row.items() if k not in VISIT)) for row in rows
        )
        digest.update(f"{table._meta.tablename}:{len(lines)}\n".encode())
        for line in lines:
            digest.update(line.encode())
    return digest.hexdigest()


@dataclass
class World:
    """Records of one grid's town, made afresh for each allowed sender."""

    cast: dict[str, Any]
    mobiles: dict[str, str]
    grid_path: str
    made: dict[str, Any] = field(default_factory=dict)

    @property
    def town(self) -> str:
        return town_of(self.grid_path)

    def people(self) -> dict[str, Any]:
        return {"grid": self.cast["grid"], "station": self.cast["station"]}

    async def hazard(self, status: str = "reported") -> uuid.UUID:
        return await hazard_in(status, self.people())

    async def callup(self, sent: bool) -> uuid.UUID:
        station = self.cast["station"]
        callup_id = await draft(station, self.town)
        if sent:
            await callups.send(station, callup_id)
            await callups.finish_sends()  # the worker's part: the messages queued
        return callup_id

    async def flood_admins_target(self, callup_id: uuid.UUID) -> uuid.UUID:
        row = (
            await CallupTarget.select(CallupTarget.id)
            .where(
                (CallupTarget.callup_id == callup_id)
                & (CallupTarget.person_id == self.cast["flood_admin"].person_id)
            )
            .first()
        )
        return row["id"]

    async def flood_admins_message(self) -> uuid.UUID:
        await self.callup(sent=True)
        row = (
            await Message.select(Message.id)
            .where(Message.recipient_id == self.cast["flood_admin"].person_id)
            .order_by(Message.created_at, ascending=False)
            .first()
        )
        return row["id"]

    async def tipoff(self, app: Litestar, accepted: bool = False) -> uuid.UUID:
        from server.tipoffs import handling
        from server.tipoffs.tables import TipOff

        area = await Area.select().where(Area.path == self.grid_path).first()
        code = await a_tipoff(app, area["center_lat"], area["center_lng"], "13900003333")
        row = await TipOff.select(TipOff.id).where(TipOff.code == code).first()
        if accepted:
            await handling.accept_new(self.cast["station"], row["id"], self.grid_path, "general")
        return row["id"]

    async def conflict(self) -> uuid.UUID:
        hazard_id = await self.hazard("closed")
        late = await send(self.cast["grid"], "rectify", hazard_id, {"photos_after": ["7" * 64]})
        assert late.verdict == "conflicted"
        row = await SyncConflict.select(SyncConflict.id).where(SyncConflict.record_id == hazard_id)
        return row[0]["id"]

    async def evacuation_zone(self) -> tuple[uuid.UUID, uuid.UUID]:
        """A danger zone of the grid's village with one household in the grid, and a shelter
        of the village (made once per world, removed by the fixture)."""
        if "zone" not in self.made:
            village = await area_by_path("/".join(self.grid_path.split("/")[:5]) + "/")
            tag = uuid.uuid4().hex[:8].upper()
            shelter = await planning.create_shelter(
                f"T-{tag}", "测试安置点", ShelterLevel.village, village, 50
            )
            zone = await planning.create_zone(
                f"T-{tag}", "测试危险区", ZoneKind.low_lying, village, [shelter]
            )
            [household] = await planning.create_households(
                [planning.HouseholdIn(f"T-{tag}-H1", zone, self.grid_path, "测试户主", 3)]
            )
            self.made.update(zone=zone, shelter=shelter, household=household, tag=tag)
        return self.made["zone"], self.made["shelter"]

    async def evacuation(self) -> uuid.UUID:
        """A new evacuation of the zone (the one before it closed: one active at a time)."""
        zone, _shelter = await self.evacuation_zone()
        await Evacuation.update({Evacuation.state: "closed"}).where(Evacuation.state == "active")
        start = evacuations.Start(title="测试转移", zone_ids=[zone])
        return await evacuations.start(self.cast["station"], start)

    async def evacuation_row(self, checked_in: bool = False) -> uuid.UUID:
        evacuation_id = await self.evacuation()
        row = await EvacRow.select(EvacRow.id).where(EvacRow.evacuation_id == evacuation_id).first()
        if checked_in:
            code = f"T-{self.made['tag']}-H1"
            await shelters.check_in(self.cast["station"], self.made["shelter"], code, 3)
        return row["id"]

    async def place_in_grid(self) -> uuid.UUID:
        rows = await Place.select(Place.id, Place.lat).where(Place.area_path == self.grid_path)
        return next(r["id"] for r in rows if r["lat"] is not None)


@dataclass(frozen=True)
class Case:
    """A route, the URL and body to send (from a world), and who may change something."""

    route: tuple[str, str]
    allowed: frozenset[str]
    url: Callable[[World, Litestar], Awaitable[str]]
    form: Callable[[World], dict[str, Any]] = lambda w: {}
    json: bool = False


def _hazard_url(op: str):
    async def url(w: World, app: Litestar) -> str:
        return f"/hazards/{await w.hazard()}/{op}"

    return url


def _fixed(path: str):
    async def url(w: World, app: Litestar) -> str:
        return path

    return url


async def _new_report_url(w: World, app: Litestar) -> str:
    return "/hazards"


def _report_form(w: World) -> dict[str, Any]:
    fields = report_fields(w.cast["grid"])
    del fields["photos_before"]  # a photo the server does not hold is refused
    return {
        **fields,
        "record_id": str(uuid.uuid4()),
        "mutation_id": str(uuid.uuid4()),
        "base_seq": "0",
    }


def _callup_url(suffix: str, sent: bool):
    async def url(w: World, app: Litestar) -> str:
        return f"/callups/{await w.callup(sent)}{suffix}"

    return url


async def _remove_target_url(w: World, app: Litestar) -> str:
    callup_id = await w.callup(sent=False)
    target = await CallupTarget.select(CallupTarget.id).where(CallupTarget.callup_id == callup_id)
    return f"/callups/{callup_id}/targets/{target[0]['id']}/remove"


async def _confirm_url(w: World, app: Litestar) -> str:
    target_id = await w.flood_admins_target(await w.callup(sent=True))
    return f"/callups/targets/{target_id}/confirm"


def _tipoff_url(suffix: str, accepted: bool = False):
    async def url(w: World, app: Litestar) -> str:
        return f"/tipoffs/{await w.tipoff(app, accepted)}{suffix}"

    return url


async def _message_url(w: World, app: Litestar) -> str:
    return f"/notify/messages/{await w.flood_admins_message()}"


async def _act_url(w: World, app: Litestar) -> str:
    return await _message_url(w, app) + "/act"


async def _opened_url(w: World, app: Litestar) -> str:
    return await _message_url(w, app) + "/opened"


async def _resolve_url(w: World, app: Litestar) -> str:
    return f"/sync/conflicts/{await w.conflict()}/resolve"


async def _revoke_url(w: World, app: Litestar) -> str:
    """One of the flood-duty administrator's own sessions (not the page's)."""
    async with db.current().write():
        token = await auth.open_session(w.cast["flood_admin"].person_id, ip="1", user_agent="x")
    found, _ = await auth.authenticate(token)
    return f"/me/devices/{found.session_id}/revoke"


async def _plan_form_url(w: World, app: Litestar) -> str:
    w.made["place"] = await w.place_in_grid()
    return "/patrols/plans"


def _evacuation_url(suffix: str):
    async def url(w: World, app: Litestar) -> str:
        return f"/evacuations/{await w.evacuation()}{suffix}"

    return url


def _row_url(suffix: str):
    async def url(w: World, app: Litestar) -> str:
        return f"/evacuations/rows/{await w.evacuation_row()}{suffix}"

    return url


async def _start_url(w: World, app: Litestar) -> str:
    await w.evacuation_zone()
    # the one an earlier sender started is closed: a zone has one active evacuation at a time
    await Evacuation.update({Evacuation.state: "closed"}).where(Evacuation.state == "active")
    return "/evacuations"


async def _checkin_url(w: World, app: Litestar) -> str:
    await w.evacuation_row()  # a new evacuation: its household not yet inside
    return f"/shelters/{w.made['shelter']}/checkin"


async def _checkout_url(w: World, app: Litestar) -> str:
    row = await w.evacuation_row(checked_in=True)
    return f"/shelters/{w.made['shelter']}/checkout/{row}"


CASES: dict[str, Case] = {
    "hazard.report": Case(("POST", "/hazards"), SCOPE, _new_report_url, _report_form),
    "hazard.accept": Case(
        ("POST", "/hazards/{hazard_id:uuid}/{op:str}"), UP_THE_CHAIN, _hazard_url("accept")
    ),
    "hazard.note": Case(
        ("POST", "/hazards/{hazard_id:uuid}/{op:str}"),
        SCOPE,
        _hazard_url("note"),
        lambda w: {"notes": "物业已知悉"},
    ),
    "callups.create": Case(
        ("POST", "/callups"),
        WATCHERS,
        _fixed("/callups"),
        lambda w: {
            "title": "暴雨叫应",
            "level": "orange",
            "areas": [w.town],
            "post_kinds": list(DEFAULT_KINDS),
        },
    ),
    "callups.add_target": Case(
        ("POST", "/callups/{callup_id:uuid}/targets"),
        WATCHERS,
        _callup_url("/targets", sent=False),
        lambda w: {"mobile": GRID_MEMBER},
    ),
    "callups.remove_target": Case(
        ("POST", "/callups/{callup_id:uuid}/targets/{target_id:uuid}/remove"),
        WATCHERS,
        _remove_target_url,
    ),
    "callups.send": Case(
        ("POST", "/callups/{callup_id:uuid}/send"), WATCHERS, _callup_url("/send", sent=False)
    ),
    "callups.close": Case(
        ("POST", "/callups/{callup_id:uuid}/close"), WATCHERS, _callup_url("/close", sent=True)
    ),
    "callups.confirm": Case(
        ("POST", "/callups/targets/{target_id:uuid}/confirm"),
        WATCHERS | {"flood_admin"},
        _confirm_url,
        lambda w: {"answer": "on_post", "note": "已到岗"},
    ),
    "warnings.create": Case(
        ("POST", "/warnings"),
        WATCHERS,
        _fixed("/warnings"),
        lambda w: {
            "hazard_type": "rainstorm",
            "level": "orange",
            "headline": "暴雨橙色预警",
            "areas": [w.town],
        },
    ),
    "patrols.plan": Case(
        ("POST", "/patrols/plans"),
        UP_THE_CHAIN,
        _plan_form_url,
        lambda w: {
            "name": "每日巡查",
            "area_path": w.grid_path,
            "schedule": "daily",
            "radius_m": "50",
            "places": [str(w.made["place"])],
            "assignees": [str(w.cast["grid"].person_id)],
        },
    ),
    "tipoffs.accept": Case(
        ("POST", "/tipoffs/{tipoff_id:uuid}/accept"),
        UP_THE_CHAIN,
        _tipoff_url("/accept"),
        lambda w: {"area_path": w.grid_path, "level": "general"},
    ),
    "tipoffs.reject": Case(
        ("POST", "/tipoffs/{tipoff_id:uuid}/reject"),
        UP_THE_CHAIN,
        _tipoff_url("/reject"),
        lambda w: {"reason": "经核查不属实"},
    ),
    "tipoffs.reply": Case(
        ("POST", "/tipoffs/{tipoff_id:uuid}/reply"),
        UP_THE_CHAIN,
        _tipoff_url("/reply"),
        lambda w: {"reply": "已转交网格员核查"},
    ),
    "tipoffs.reward": Case(
        ("POST", "/tipoffs/{tipoff_id:uuid}/reward"),
        BUREAUS,
        _tipoff_url("/reward", accepted=True),
        lambda w: {"action": "propose", "amount_yuan": "300"},
    ),
    "notify.act": Case(
        ("POST", "/notify/messages/{message_id:uuid}/act"),
        frozenset({"flood_admin"}),
        _act_url,
        lambda w: {"action": "ack"},
    ),
    "notify.opened": Case(
        ("POST", "/notify/messages/{message_id:uuid}/{event:str}"),
        frozenset({"flood_admin"}),
        _opened_url,
        json=True,
    ),
    "sync.resolve": Case(
        ("POST", "/sync/conflicts/{conflict_id:uuid}/resolve"),
        frozenset({"grid", "duty_officer", *UP_THE_CHAIN}),  # its author, supervisors over it
        _resolve_url,
        lambda w: {"choice": "keep"},  # taking the phone's value: staff only (sync tests)
    ),
    "evacuation.start": Case(
        ("POST", "/evacuations"),
        WATCHERS,
        _start_url,
        lambda w: {"title": "测试转移", "zones": [str(w.made["zone"])], "window": "30"},
    ),
    "evacuation.mark": Case(
        ("POST", "/evacuations/rows/{row_id:uuid}/mark"),
        SCOPE,  # the grid's member, the town's flood-duty chief, staff over the village
        _row_url("/mark"),
        lambda w: {"mark": "self_moved", "mutation_id": str(uuid.uuid4())},
    ),
    "evacuation.remove": Case(
        ("POST", "/evacuations/rows/{row_id:uuid}/remove"),
        WATCHERS,
        _row_url("/remove"),
        lambda w: {"reason": "已搬离"},
    ),
    "evacuation.return": Case(
        ("POST", "/evacuations/{evacuation_id:uuid}/return"), WATCHERS, _evacuation_url("/return")
    ),
    "evacuation.close": Case(
        ("POST", "/evacuations/{evacuation_id:uuid}/close"), WATCHERS, _evacuation_url("/close")
    ),
    "shelters.checkin": Case(
        ("POST", "/shelters/{shelter_id:uuid}/checkin"),
        WATCHERS,  # and the shelter's manager (evacuation/test_pages)
        _checkin_url,
        lambda w: {"code": f"T-{w.made['tag']}-H1"},
    ),
    "shelters.checkout": Case(
        ("POST", "/shelters/{shelter_id:uuid}/checkout/{row_id:uuid}"), WATCHERS, _checkout_url
    ),
    "me.revoke": Case(
        ("POST", "/me/devices/{session_id:uuid}/revoke"),
        frozenset({"flood_admin"}),
        _revoke_url,
    ),
}
#: writes only an admin may send (the directory, the categories): denied to every other
#: relation and to the anonymous here, allowed ones tested in their own modules
ADMIN_ONLY = {
    ("POST", "/admin/people"): lambda w: {"name": "张三", "mobile": "13911112222"},
    ("POST", "/admin/people/{person_id:uuid}/password"): lambda w: {"password": "Flood-duty-2026!"},
    ("POST", "/admin/people/{person_id:uuid}/ladder"): lambda w: {"ladder": "sms_first"},
    ("POST", "/admin/people/{person_id:uuid}/devices/revoke"): lambda w: {},
    ("POST", "/admin/people/{person_id:uuid}/active"): lambda w: {"active": "0"},
    ("POST", "/admin/people/{person_id:uuid}/posts"): lambda w: {
        "kind": "grid_member",
        "area_path": w.grid_path,
    },
    ("POST", "/admin/posts/{post_id:uuid}/end"): lambda w: {},
    ("POST", "/admin/places"): lambda w: {"name": "新水库", "kind": "reservoir"},
    ("POST", "/admin/places/{place_id:uuid}"): lambda w: {"name": "改名"},
    ("POST", "/admin/areas"): lambda w: {"name": "新网格", "code": "339901001099"},
    ("POST", "/admin/hazard-categories"): lambda w: {"code": "lift", "name": "电梯"},
    ("POST", "/admin/hazard-categories/{code:str}/active"): lambda w: {"active": "0"},
    ("POST", "/admin/departments"): lambda w: {"name": "应急局", "area_code": "339900"},
    ("POST", "/tipoffs/settings/rules"): lambda w: {"level": "general", "kind": "x"},
    ("POST", "/tipoffs/settings/blocks"): lambda w: {"kind": "mobile", "value": "13900009999"},
    ("POST", "/tipoffs/settings/blocks/{entry_id:uuid}/remove"): lambda w: {},
}
#: write routes outside this matrix, and why
ELSEWHERE = {
    ("POST", "/language"): "public: a cookie only",
    ("POST", "/login"): "public: tests/integration/auth",
    ("POST", "/logout"): "one's own session only",
    ("POST", "/tipoffs"): "public: residents' tip-offs (tests/integration/tipoffs)",
    ("POST", "/t/{code:str}/subscriptions"): "public, by the tip-off's secret code",
    ("POST", "/t/{code:str}/feedback"): "public, by the tip-off's secret code (test_channels)",
    ("POST", "/tipoffs/intake"): "staff, in their own grids only (tipoffs/test_channels)",
    ("POST", "/duty/slots"): "on-duty staff, their own areas only (directory/test_rota)",
    ("POST", "/duty/swap"): "on-duty staff, their own areas only (directory/test_rota)",
    ("POST", "/notify/gateway/inbound"): "HMAC-signed webhook (tests/integration/notify)",
    ("POST", "/notify/subscriptions"): "one's own push subscription",
    ("POST", "/notify/subscriptions/remove"): "one's own push subscriptions",
    ("POST", "/open311/v2/requests.xml"): "partner API key (tests/integration/tipoffs)",
    ("POST", "/open311/v2/requests.json"): "partner API key (tests/integration/tipoffs)",
    ("POST", "/api/cap"): "warning system's key (callups/test_pages)",
    ("POST", "/sync/mutations"): "the sync engine: test_write_matrix and sync/test_fuzz",
    ("POST", "/sync/announce"): "the sync engine: sync/test_fuzz",
    ("PUT", "/media/uploads/{sha:str}"): "one's own unfinished upload (media/test_uploads)",
    ("POST", "/warnings/cap"): "issuers only (test_access_matrix); scope: callups/test_cap",
    ("POST", "/shelters/import"): "staff (test_access_matrix); scope: evacuation/test_plan_import",
    ("POST", "/shelters/{shelter_id:uuid}/edit"): "staff over its area: evacuation/test_pages",
    ("POST", "/shelters/zones/{zone_id:uuid}/edit"): "staff over it: evacuation/test_plan_import",
    ("POST", "/shelters/households/{household_id:uuid}/edit"): (
        "staff over it: evacuation/test_plan_import"
    ),
    ("POST", "/warnings/{warning_id:uuid}/lift"): "staff over its areas: evacuation/test_pages",
}
#: the reward rules and the block list are the city's: bureau staff and admins set them
BUREAU_KINDS = {"admin", "district_bureau", "district_bureau_other", "city_bureau"}


def write_routes(app: Litestar) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods - {"GET", "HEAD", "OPTIONS"}:
                found.add((method, route.path))
    return found


def test_every_write_route_is_in_the_matrix(app: Litestar) -> None:
    covered = {c.route for c in CASES.values()} | set(ADMIN_ONLY) | set(ELSEWHERE)
    assert write_routes(app) == covered


async def _sessions(world: World) -> dict[str, str | None]:
    """A session token for every relation (the password check is the login tests' work),
    None for the anonymous."""
    sessions: dict[str, str | None] = {"anonymous": None}
    async with db.current().write():
        for name, who in world.cast.items():
            sessions[name] = await auth.open_session(who.person_id, ip="127.0.0.1", user_agent="m")
    return sessions


async def _post(
    client: AsyncTestClient, session: str | None, url: str, form: dict[str, Any], json: bool
):
    """POST as the holder of `session`: one client, its cookies swapped (a CSRF token is
    bound to the session it was issued under)."""
    client.cookies.clear()
    if session:
        client.cookies.set("gw_session", session)
    if json:
        return await client.post(url, json=form, headers={"accept": "application/json"})
    token = await csrf_token(client)
    return await client.post(url, data=form, headers={"x-csrftoken": token}, follow_redirects=False)


@pytest.fixture
async def world(cast) -> AsyncIterator[World]:
    syncing.register(CallupTargetAdapter())
    syncing.register(MessageAdapter())
    syncing.register(EvacRowAdapter())
    callup_messages.install()
    grid_path = next(p.area_path for p in cast["grid"].posts)
    made = World(cast=cast, mobiles=await mobiles_for(grid_path), grid_path=grid_path)
    yield made
    if "zone" in made.made:  # the demo's plans stay as they were for the next test
        async with db.current().write():
            await Resident.delete().where(Resident.household_id == made.made["household"])
            await Household.delete().where(Household.id == made.made["household"])
            await DangerZone.delete().where(DangerZone.id == made.made["zone"])
            await Shelter.delete().where(Shelter.id == made.made["shelter"])


@pytest.mark.parametrize("name", sorted(CASES))
async def test_only_the_allowed_change_anything(
    app: Litestar, world: World, client: AsyncTestClient, name: str
) -> None:
    case = CASES[name]
    sessions = await _sessions(world)
    url = await case.url(world, app)
    before = await state()
    answered = {}
    for who in sorted(set(sessions) - case.allowed):
        answer = await _post(client, sessions[who], url, case.form(world), case.json)
        answered[who] = answer.status_code
        assert answer.status_code in (303, 401, 403, 404, 409, 422) or (
            answer.status_code == 200 and who != "anonymous"
        ), (name, who, answer.status_code)
        if who == "anonymous":
            assert answer.status_code in (401, 403) or "/login" in answer.headers.get(
                "location", ""
            ), (name, answer.status_code)
    # compared once for all the denied (a failure names each one's answer)
    assert await state() == before, (name, answered, "changed state")
    for who in sorted(case.allowed):
        url = await case.url(world, app)  # a record of its own
        before = await state()
        answer = await _post(client, sessions[who], url, case.form(world), case.json)
        assert answer.status_code in (200, 303), (name, who, answer.status_code, answer.text)
        assert await state() != before, (name, who, "changed nothing")


async def test_admin_writes_change_nothing_for_anyone_else(
    world: World, client: AsyncTestClient
) -> None:
    sessions = await _sessions(world)
    person = world.cast["grid"].person_id
    post = await Post.select(Post.id).where(Post.person == person).first()
    ids = {
        "person_id": person,
        "post_id": post["id"],
        "place_id": await world.place_in_grid(),
        "code": "fire.ebike",
        "entry_id": uuid.uuid4(),
    }
    before = await state()
    for (_method, path), form in ADMIN_ONLY.items():
        url = path
        for key, value in ids.items():
            url = url.replace(f"{{{key}:uuid}}", str(value)).replace(f"{{{key}:str}}", str(value))
        may = BUREAU_KINDS if path.startswith("/tipoffs/settings") else {"admin"}
        for who in sorted(set(sessions) - may):
            answer = await _post(client, sessions[who], url, form(world), json=False)
            assert answer.status_code in (303, 401, 403), (path, who, answer.status_code)
        assert await state() == before, (path, "changed state")


async def test_a_towns_staff_call_up_only_people_of_their_town(
    world: World, client: AsyncTestClient
) -> None:
    """Adding a target by mobile: someone posted elsewhere is refused with the same answer
    as a number nobody has (no calling, and no learning, of people outside one's area)."""
    sessions = await _sessions(world)
    callup_id = await world.callup(sent=False)
    before = await state()
    for mobile in (world.mobiles["grid_other_town"], world.mobiles["city_bureau"], "13900000000"):
        answer = await _post(
            client, sessions["station"], f"/callups/{callup_id}/targets", {"mobile": mobile}, False
        )
        assert answer.status_code == 400, (mobile, answer.status_code)
        assert "辖区内没有使用此手机号" in answer.text
        assert await state() == before
