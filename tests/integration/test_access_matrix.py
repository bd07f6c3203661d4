"""The authorization matrix, generated from the app's route table: every route x every post
kind and anonymous gets the expected allow or deny. A route missing from EXPECTED fails."""

from __future__ import annotations

import uuid

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.auth import service as auth
from server.auth.access import PUBLIC, SIGNED_IN, rule_of
from server.directory.demo import CITY, DEMO_PASSWORD
from server.directory.kinds import PostKind
from server.directory.service import area_by_code
from tests.integration.helpers import demo_mobile

pytestmark = pytest.mark.db

K = PostKind
ADMIN = {K.admin}
#: a public route that checks an HMAC signature itself
SIGNED_WEBHOOK = "signed-webhook"
#: open to a partner system holding an Open311 api_key, i.e. to none of the matrix's callers
API_KEY = "api-key"
STAFF = {K.station_staff, K.bureau_staff, K.admin}
#: who issues and watches call-ups
ROUTERS = {K.bureau_staff, K.admin}
ISSUERS = {K.station_staff, K.bureau_staff, K.duty_officer, K.admin}
QR = {K.grid_member, K.station_staff, K.bureau_staff, K.admin, K.duty_officer}

#: who may call each route: PUBLIC, SIGNED_IN or the post kinds. Written out by hand on
#: purpose: the test compares the app with this table, not with itself.
EXPECTED: dict[tuple[str, str], object] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/offline"): PUBLIC,
    ("GET", "/sw.js"): PUBLIC,
    ("GET", "/manifest.webmanifest"): PUBLIC,
    ("GET", "/csrf-token"): PUBLIC,
    ("POST", "/language"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/static/{name:path}"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): SIGNED_IN,
    ("GET", "/me"): SIGNED_IN,
    ("GET", "/me/devices"): SIGNED_IN,
    ("POST", "/me/devices/{session_id:uuid}/revoke"): SIGNED_IN,
    ("GET", "/areas/{area_id:uuid}"): SIGNED_IN,
    ("GET", "/areas/{area_id:uuid}/qr-sheet"): QR,
    ("GET", "/places"): SIGNED_IN,
    ("GET", "/places/{place_id:uuid}"): SIGNED_IN,
    ("GET", "/p/{token:str}"): PUBLIC,
    ("GET", "/people"): SIGNED_IN,
    ("GET", "/people/{person_id:uuid}"): SIGNED_IN,
    ("GET", "/admin"): ADMIN,
    ("POST", "/admin/people"): ADMIN,
    ("GET", "/admin/people/{person_id:uuid}"): ADMIN,
    ("POST", "/admin/people/{person_id:uuid}/password"): ADMIN,
    ("POST", "/admin/people/{person_id:uuid}/ladder"): ADMIN,
    ("POST", "/admin/people/{person_id:uuid}/devices/revoke"): ADMIN,
    ("POST", "/admin/people/{person_id:uuid}/active"): ADMIN,
    ("POST", "/admin/people/{person_id:uuid}/posts"): ADMIN,
    ("POST", "/admin/posts/{post_id:uuid}/end"): ADMIN,
    ("GET", "/admin/places/new"): ADMIN,
    ("POST", "/sync/mutations"): SIGNED_IN,
    ("GET", "/media/uploads/{sha:str}"): SIGNED_IN,
    ("PUT", "/media/uploads/{sha:str}"): SIGNED_IN,
    ("GET", "/media/{sha:str}"): SIGNED_IN,
    ("POST", "/sync/announce"): SIGNED_IN,
    ("GET", "/sync/changes"): SIGNED_IN,
    ("GET", "/sync/conflicts"): SIGNED_IN,
    ("GET", "/sync/pending"): SIGNED_IN,
    ("POST", "/sync/conflicts/{conflict_id:uuid}/resolve"): SIGNED_IN,
    ("GET", "/sync/queued"): PUBLIC,
    ("GET", "/admin/areas/new"): ADMIN,
    ("POST", "/admin/areas"): ADMIN,
    ("GET", "/admin/places/{place_id:uuid}/edit"): ADMIN,
    ("POST", "/admin/places/{place_id:uuid}"): ADMIN,
    ("POST", "/admin/places"): ADMIN,
    ("GET", "/hazards"): SIGNED_IN,
    ("GET", "/hazards/new"): SIGNED_IN,
    ("POST", "/hazards"): SIGNED_IN,
    ("GET", "/hazards/nearby"): SIGNED_IN,
    ("GET", "/hazards/{hazard_id:uuid}"): SIGNED_IN,
    ("POST", "/hazards/{hazard_id:uuid}/{op:str}"): SIGNED_IN,
    ("GET", "/hazards/{hazard_id:uuid}/sheet"): SIGNED_IN,
    ("GET", "/hazards/{hazard_id:uuid}/notice"): SIGNED_IN,
    ("GET", "/supervision"): PUBLIC,
    ("GET", "/hazards/ledger.xlsx"): STAFF,
    ("GET", "/hazards/ledger.csv"): STAFF,
    ("GET", "/inbox"): SIGNED_IN,
    ("GET", "/hazards/figures"): STAFF,
    ("GET", "/hazards/bulletin"): STAFF,
    ("GET", "/admin/hazard-categories"): ADMIN,
    ("POST", "/admin/hazard-categories"): ADMIN,
    ("POST", "/admin/hazard-categories/{code:str}/active"): ADMIN,
    ("GET", "/admin/departments"): ADMIN,
    ("GET", "/duty"): ISSUERS,
    ("POST", "/duty/slots"): ISSUERS,
    ("POST", "/duty/swap"): ISSUERS,
    ("POST", "/admin/departments"): ADMIN,
    ("GET", "/notify/key"): PUBLIC,
    ("POST", "/notify/subscriptions"): SIGNED_IN,
    ("POST", "/notify/subscriptions/remove"): SIGNED_IN,
    ("POST", "/notify/messages/{message_id:uuid}/{event:str}"): SIGNED_IN,
    ("GET", "/me/notifications"): SIGNED_IN,
    ("GET", "/notify/live"): SIGNED_IN,
    ("POST", "/notify/messages/{message_id:uuid}/act"): SIGNED_IN,
    ("POST", "/notify/gateway/inbound"): SIGNED_WEBHOOK,
    ("GET", "/warnings"): ISSUERS,
    ("GET", "/warnings/new"): ISSUERS,
    ("POST", "/warnings"): ISSUERS,
    ("POST", "/warnings/cap"): ISSUERS,
    ("GET", "/warnings/{warning_id:uuid}"): ISSUERS,
    ("POST", "/warnings/{warning_id:uuid}/lift"): ISSUERS,
    ("GET", "/callups"): ISSUERS,
    ("GET", "/callups/new"): ISSUERS,
    ("POST", "/callups"): ISSUERS,
    ("GET", "/callups/{callup_id:uuid}"): SIGNED_IN,
    ("GET", "/callups/{callup_id:uuid}/board"): ISSUERS,
    ("GET", "/callups/{callup_id:uuid}/live"): ISSUERS,
    ("POST", "/callups/{callup_id:uuid}/targets"): ISSUERS,
    ("POST", "/callups/{callup_id:uuid}/targets/{target_id:uuid}/remove"): ISSUERS,
    ("POST", "/callups/{callup_id:uuid}/send"): ISSUERS,
    ("POST", "/callups/{callup_id:uuid}/close"): ISSUERS,
    ("GET", "/callups/{callup_id:uuid}/answer"): SIGNED_IN,
    ("POST", "/callups/targets/{target_id:uuid}/confirm"): SIGNED_IN,
    ("GET", "/callups/targets/{target_id:uuid}"): SIGNED_IN,
    ("GET", "/callups/{callup_id:uuid}/report"): ISSUERS,
    ("GET", "/callups/{callup_id:uuid}/report.xlsx"): ISSUERS,
    ("GET", "/callups/{callup_id:uuid}/report.csv"): ISSUERS,
    ("GET", "/patrols/plans"): SIGNED_IN,
    ("GET", "/patrols/plans/new"): STAFF,
    ("POST", "/patrols/plans"): STAFF,
    ("GET", "/patrols/plans/{plan_id:uuid}"): SIGNED_IN,
    ("GET", "/patrols"): SIGNED_IN,
    ("GET", "/patrols/due"): SIGNED_IN,
    ("GET", "/patrols/walk/{plan_id:uuid}"): SIGNED_IN,
    ("GET", "/patrols/list"): SIGNED_IN,
    ("GET", "/patrols/{patrol_id:uuid}"): SIGNED_IN,
    ("GET", "/patrols/{patrol_id:uuid}/verdicts"): SIGNED_IN,
    ("GET", "/patrols/coverage"): STAFF,
    ("GET", "/patrols/ledger.xlsx"): STAFF,
    ("GET", "/patrols/ledger.csv"): STAFF,
    ("GET", "/openapi/public.json"): PUBLIC,
    ("GET", "/tipoffs/new"): PUBLIC,
    ("POST", "/tipoffs"): PUBLIC,
    ("GET", "/tipoffs/track"): PUBLIC,
    ("GET", "/t/{code:str}"): PUBLIC,
    ("GET", "/t/{code:str}/photos/{n:int}"): PUBLIC,
    ("POST", "/t/{code:str}/subscriptions"): PUBLIC,
    ("POST", "/t/{code:str}/feedback"): PUBLIC,
    ("GET", "/tipoffs/intake"): STAFF,
    ("POST", "/tipoffs/intake"): STAFF,
    ("GET", "/tipoffs"): STAFF,
    ("GET", "/tipoffs/{tipoff_id:uuid}"): STAFF,
    ("GET", "/tipoffs/{tipoff_id:uuid}/photos/{n:int}/original"): STAFF,
    ("POST", "/tipoffs/{tipoff_id:uuid}/accept"): STAFF,
    ("POST", "/tipoffs/{tipoff_id:uuid}/reject"): STAFF,
    ("POST", "/tipoffs/{tipoff_id:uuid}/reply"): STAFF,
    ("POST", "/tipoffs/{tipoff_id:uuid}/reward"): STAFF,
    ("GET", "/tipoffs/rewards.xlsx"): ROUTERS,
    ("GET", "/tipoffs/figures"): STAFF,
    ("GET", "/tipoffs/settings"): ROUTERS,
    ("POST", "/tipoffs/settings/rules"): ROUTERS,
    ("POST", "/tipoffs/settings/blocks"): ROUTERS,
    ("POST", "/tipoffs/settings/blocks/{entry_id:uuid}/remove"): ROUTERS,
    ("GET", "/open311/v2/services.json"): PUBLIC,
    ("POST", "/open311/v2/requests.json"): API_KEY,
    ("POST", "/api/cap"): API_KEY,
    ("GET", "/open311/v2/requests.json"): PUBLIC,
    ("GET", "/open311/discovery.json"): PUBLIC,
    ("GET", "/open311/v2/services.xml"): PUBLIC,
    ("POST", "/open311/v2/requests.xml"): API_KEY,
    ("GET", "/open311/v2/requests.xml"): PUBLIC,
    ("GET", "/open311/discovery.xml"): PUBLIC,
    ("GET", "/open311/v2/services/{name:str}"): PUBLIC,
    ("GET", "/open311/v2/requests/{name:str}"): PUBLIC,
    ("GET", "/open311/v2/tokens/{name:str}"): PUBLIC,
    ("GET", "/evacuations"): ISSUERS,
    ("GET", "/evacuations/new"): ISSUERS,
    ("POST", "/evacuations"): ISSUERS,
    ("GET", "/evacuations/{evacuation_id:uuid}"): SIGNED_IN,
    ("GET", "/evacuations/{evacuation_id:uuid}/board"): ISSUERS,
    ("GET", "/evacuations/{evacuation_id:uuid}/live"): ISSUERS,
    ("GET", "/evacuations/{evacuation_id:uuid}/mine"): SIGNED_IN,
    ("GET", "/evacuations/rows/{row_id:uuid}"): SIGNED_IN,
    ("POST", "/evacuations/rows/{row_id:uuid}/mark"): SIGNED_IN,
    ("POST", "/evacuations/rows/{row_id:uuid}/remove"): ISSUERS,
    ("POST", "/evacuations/{evacuation_id:uuid}/return"): ISSUERS,
    ("POST", "/evacuations/{evacuation_id:uuid}/close"): ISSUERS,
    ("GET", "/evacuations/{evacuation_id:uuid}/report.xlsx"): ISSUERS,
    ("GET", "/shelters"): SIGNED_IN,
    ("GET", "/shelters/{shelter_id:uuid}"): SIGNED_IN,
    ("POST", "/shelters/import"): STAFF,
    ("GET", "/shelters/zones/{zone_id:uuid}/cards"): ISSUERS,
    ("GET", "/shelters/{shelter_id:uuid}/edit"): STAFF,
    ("GET", "/shelters/zones/{zone_id:uuid}"): ISSUERS,
    ("POST", "/shelters/zones/{zone_id:uuid}/edit"): STAFF,
    ("GET", "/shelters/households/{household_id:uuid}/edit"): STAFF,
    ("POST", "/shelters/households/{household_id:uuid}/edit"): STAFF,
    ("POST", "/shelters/{shelter_id:uuid}/edit"): STAFF,
    ("POST", "/shelters/{shelter_id:uuid}/checkin"): SIGNED_IN,
    ("POST", "/shelters/{shelter_id:uuid}/checkout/{row_id:uuid}"): SIGNED_IN,
}
ROLES: list[PostKind | None] = [None, *PostKind]
#: event streams: only their refusals are requested here (tests/integration/notify covers them)
STREAMS = {("GET", "/notify/live")}
#: open to anyone who holds the gateway's secret, i.e. to none of the matrix's callers


def app_routes(app: Litestar) -> dict[tuple[str, str], object]:
    routes = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                    routes[(method, route.path)] = rule_of(handler)
    return routes


def test_every_route_has_an_expectation_and_a_rule(app: Litestar) -> None:
    routes = app_routes(app)
    assert set(routes) - set(EXPECTED) == set(), "a new route needs a line in EXPECTED"
    assert set(EXPECTED) - set(routes) == set(), "EXPECTED names a route that is gone"
    assert [r for r, rule in routes.items() if rule is None] == []
    webhooks = [r for r, rule in EXPECTED.items() if rule in (SIGNED_WEBHOOK, API_KEY)]
    assert all(routes[r] == PUBLIC for r in webhooks)  # the guard lets them through


def allowed(expected: object, role: PostKind | None) -> bool:
    if expected in (SIGNED_WEBHOOK, API_KEY):
        return False
    if expected == PUBLIC:
        return True
    if role is None:
        return False
    return expected == SIGNED_IN or role in expected  # type: ignore[operator]


async def test_matrix(app: Litestar, demo) -> None:
    city = await area_by_code(CITY[0])
    samples = {
        "area_id": str(city.id),
        "name:path": "app.css",
        "token:str": "no-such-token",
        "n:int": "0",
    }
    results: list[str] = []
    for role in ROLES:
        async with AsyncTestClient(app=app) as client:
            if role is not None:
                token = await auth.login(
                    await demo_mobile(role), DEMO_PASSWORD, ip="matrix", user_agent="matrix"
                )
                client.cookies.set("gw_session", token)
            page = await client.get("/login")
            csrf = page.text.split('<meta name="csrf-token" content="', 1)[1].split('"', 1)[0]
            # /logout last: it ends the session the other requests use.
            for method, path in sorted(EXPECTED, key=lambda r: r[1] == "/logout"):
                if (method, path) in STREAMS and allowed(EXPECTED[(method, path)], role):
                    continue  # an endless stream: the test client would wait forever
                url = _fill(path, samples)
                response = await client.request(
                    method,
                    url,
                    headers={"x-csrftoken": csrf},
                    data={} if method == "POST" else None,
                    follow_redirects=False,
                )
                denied = response.status_code in (401, 403) or (
                    response.status_code == 303
                    and response.headers.get("location", "").startswith("/login?next")
                )
                if denied == allowed(EXPECTED[(method, path)], role):
                    results.append(f"{role} {method} {path}: {response.status_code}")
    assert results == []


def _fill(path: str, samples: dict[str, str]) -> str:
    out = []
    for part in path.split("/"):
        if part.startswith("{"):
            key = part.strip("{}")
            part = samples.get(key) or samples.get(key.split(":")[0]) or str(uuid.uuid4())
        out.append(part)
    return "/".join(out)
