"""Open311 GeoReport v2 under /open311/v2/ (JSON or XML by suffix) and its discovery file.
Reading is open to anyone; posting needs a partner's api_key (OPEN311_KEYS). Every refusal
is the spec's error document, never a page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from server.auth.access import PUBLIC, allow
from server.directory import service as directory
from server.hazards import service as hazards
from server.i18n import N_, gettext
from server.tipoffs import limits, open311, service
from server.tipoffs.fields import FieldProblem, clean
from server.tipoffs.routes import read_photos, stores_of
from server.tipoffs.tables import TipOff

ROOT = "/open311/v2"
#: the spec's default window and page of GET requests
WINDOW = timedelta(days=90)
PAGE = 1000
#: a public listing shows a location to about 100 m (the reporter was standing there)
PUBLIC_DECIMALS = 3
OPEN = {"received", "accepted"}


class Open311Error(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _answer(kind: str, body: Any, fmt: str, status: int = 200) -> Response:
    return Response(
        open311.render(kind, body, fmt), status_code=status, media_type=open311.FORMATS[fmt]
    )


def _split(name: str) -> tuple[str, str]:
    """`fire.ebike.json` -> ("fire.ebike", "json")."""
    stem, _, fmt = name.rpartition(".")
    if fmt not in open311.FORMATS or not stem:
        raise Open311Error(404, "Append .json or .xml to the resource.")
    return stem, fmt


def _fmt_of_name(name: str) -> str:
    """The format a resource name asks for (an error document in JSON when it asks none)."""
    return "xml" if name.endswith(".xml") else "json"


def _fmt_of(request: Request) -> str:
    return _fmt_of_name(request.url.path)


async def _guarded(fmt: str, kind: str, make: Any) -> Response:
    try:
        return _answer(kind, await make(), fmt)
    except Open311Error as exc:
        return _answer("errors", open311.error(exc.code, exc.description), fmt, exc.code)


async def _services() -> list[dict[str, Any]]:
    categories = await hazards.categories()
    groups = {c.code: hazards.category_label(c) for c in categories if not c.parent}
    return [
        open311.service(c, groups.get(c.parent or c.code, ""), hazards.category_label(c))
        for c in categories
    ]


@get([f"{ROOT}/services.json", f"{ROOT}/services.xml"], opt=allow(PUBLIC))
async def list_services(request: Request) -> Response:
    return await _guarded(_fmt_of(request), "services", _services)


@get(f"{ROOT}/services/{{name:str}}", opt=allow(PUBLIC))
async def show_service(name: FromPath[str]) -> Response:
    fmt = _fmt_of_name(name)

    async def make() -> dict[str, Any]:
        code, _ = _split(name)
        if code not in {c.code for c in await hazards.categories()}:
            raise Open311Error(404, f"service_code {code} not found")
        return open311.definition(code)

    return await _guarded(fmt, "service_definition", make)


def _partner(request: Request, key: str | None) -> str | None:
    return dict(request.app.state.settings.open311_keys).get(key or "")


@post(
    [f"{ROOT}/requests.json", f"{ROOT}/requests.xml"],
    opt=allow(PUBLIC),
    exclude_from_csrf=True,  # a partner's server, authenticated by its api_key
    status_code=201,
    request_max_body_size=12 * 1024 * 1024,
)
async def post_request(request: Request) -> Response:
    fmt = _fmt_of(request)

    async def make() -> list[dict[str, Any]]:
        form = await request.form()
        partner = _partner(request, form.get("api_key"))
        if partner is None:
            raise Open311Error(403, "api_key was not provided or is invalid")
        values = {
            "category": form.get("service_code") or "",
            "description": form.get("description") or "",
            "lat": form.get("lat") or "",
            "lng": form.get("long") or "",
            "address": form.get("address_string") or "",
            "name": " ".join(filter(None, [form.get("first_name"), form.get("last_name")])),
            "mobile": form.get("phone") or "",
        }
        if not values["category"]:
            raise Open311Error(400, "service_code was not provided")
        categories = {c.code for c in await hazards.categories()}
        if values["category"] not in categories:
            raise Open311Error(404, f"service_code {values['category']} not found")
        settings = request.app.state.settings
        try:
            photos = await read_photos(form.getall("media") if "media" in form else [])
            receipt = await service.submit(
                clean(values, photos, categories),
                stores=stores_of(request),
                rules=limits.limits_from(settings.tipoff_limits),
                secret=settings.secret_key,
                ip="",  # a partner relays many residents: its IP is not one sender
                source="open311",
                partner=partner,
                media_url=(form.get("media_url") or "")[:500],
            )
        except FieldProblem as exc:
            raise Open311Error(400, f"{exc.name}: {gettext(exc.message)}") from None
        except limits.Refused as exc:
            raise Open311Error(exc.status_code, gettext(exc.message)) from None
        notice = gettext(N_("Received. The station of the area handles it."))
        return [
            {
                "service_request_id": receipt.number,
                "service_notice": notice,
                "account_id": None,
                "token": str(receipt.id),
            }
        ]

    response = await _guarded(fmt, "service_requests", make)
    if response.status_code == 200:
        response.status_code = 201
    return response


async def _records(rows: list[dict[str, Any]], partner: str | None) -> list[dict[str, Any]]:
    names = await hazards.category_names()
    areas = await directory.area_names([r["area_path"] for r in rows])
    outcomes = await hazards.outcomes([r["hazard_id"] for r in rows])
    out = []
    for row in rows:
        outcome = outcomes.get(row["hazard_id"])
        notes = [service.state_label(row["state"])]
        if outcome:
            notes.append(f"{outcome.code} {outcome.status.label}")
        if row["state"] == "rejected":
            notes.append(row["reject_reason"])
        if partner and partner == row["partner"] and row["reply"]:
            notes.append(row["reply"])  # the reply, for the partner who relayed the report
        moments = [row["received_at"], row["accepted_at"], row["replied_at"], row["resolved_at"]]
        lat, lng = row["lat"], row["lng"]
        out.append(
            {
                "service_request_id": row["number"],
                "status": "open" if row["state"] in OPEN else "closed",
                "status_notes": "; ".join(n for n in notes if n),
                "service_name": names.get(row["category"], row["category"]),
                "service_code": row["category"],
                "description": row["description"],
                "agency_responsible": areas.get(row["area_path"]) or None,
                "service_notice": None,
                "requested_datetime": open311.w3(row["received_at"]),
                "updated_datetime": open311.w3(max(m for m in moments if m)),
                "expected_datetime": None,
                "address": row["address"] or None,
                "address_id": None,
                "zipcode": None,
                "lat": round(lat, PUBLIC_DECIMALS) if lat is not None else None,
                "long": round(lng, PUBLIC_DECIMALS) if lng is not None else None,
                "media_url": row["media_url"] or None,
            }
        )
    return out


def _moment(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Open311Error(400, f"{name} is not a w3 datetime like 2026-11-24T08:00:00Z") from None
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone (Z or +08:00)")
    return moment


def _list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()][:PAGE]


@get([f"{ROOT}/requests.json", f"{ROOT}/requests.xml"], opt=allow(PUBLIC))
async def list_requests(request: Request) -> Response:
    params = request.query_params

    async def make() -> list[dict[str, Any]]:
        partner = _partner(request, params.get("api_key"))
        ids = _list(params.get("service_request_id"))
        if ids:
            rows = (
                await TipOff.select()
                .where(TipOff.number.is_in([i.upper() for i in ids]))
                .order_by(TipOff.received_at, ascending=False)
            )
            return await _records(rows, partner)
        end = _moment(params.get("end_date"), "end_date") or datetime.now(UTC)
        start = _moment(params.get("start_date"), "start_date") or end - WINDOW
        if end - start > WINDOW or start > end:
            raise Open311Error(400, "start_date to end_date may span at most 90 days")
        where = (TipOff.received_at >= start) & (TipOff.received_at <= end)
        if codes := _list(params.get("service_code")):
            where = where & TipOff.category.is_in(codes)
        statuses = set(_list(params.get("status")))
        if statuses - {"open", "closed"}:
            raise Open311Error(400, "status is open or closed")
        if statuses == {"open"}:
            where = where & TipOff.state.is_in(sorted(OPEN))
        elif statuses == {"closed"}:
            where = where & TipOff.state.not_in(sorted(OPEN))
        rows = (
            await TipOff.select()
            .where(where)
            .order_by(TipOff.received_at, ascending=False)
            .limit(PAGE)
        )
        return await _records(rows, partner)

    return await _guarded(_fmt_of(request), "service_requests", make)


@get(f"{ROOT}/requests/{{name:str}}", opt=allow(PUBLIC))
async def show_request(request: Request, name: FromPath[str]) -> Response:
    fmt = _fmt_of_name(name)

    async def make() -> list[dict[str, Any]]:
        number, _ = _split(name)
        row = await service.by_number(number)
        if row is None:
            raise Open311Error(404, f"service_request_id {number} not found")
        return await _records([row], _partner(request, request.query_params.get("api_key")))

    return await _guarded(fmt, "service_requests", make)


@get(f"{ROOT}/tokens/{{name:str}}", opt=allow(PUBLIC))
async def show_token(name: FromPath[str]) -> Response:
    fmt = _fmt_of_name(name)

    async def make() -> list[dict[str, Any]]:
        token, _ = _split(name)
        row = await service.by_token(token)
        if row is None:
            raise Open311Error(404, f"token {token} not found")
        return [{"service_request_id": row["number"], "token": token}]

    return await _guarded(fmt, "service_requests", make)


@get(["/open311/discovery.json", "/open311/discovery.xml"], opt=allow(PUBLIC))
async def discovery(request: Request) -> Response:
    settings = request.app.state.settings
    changeset = "2026-11-24T00:00:00Z"
    body = {
        "changeset": changeset,
        "contact": gettext(N_("The emergency management bureau's duty office")),
        "key_service": gettext(N_("Partner systems ask the bureau for an api_key.")),
        "endpoints": [
            {
                "specification": open311.SPECIFICATION,
                "url": f"{settings.base_url}{ROOT}",
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }

    async def make() -> dict[str, Any]:
        return body

    return await _guarded(_fmt_of(request), "discovery", make)


ROUTES = [
    list_services,
    show_service,
    post_request,
    list_requests,
    show_request,
    show_token,
    discovery,
]
