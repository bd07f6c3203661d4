"""Open311 GeoReport v2 under /open311/v2/ (JSON or XML by suffix) and its discovery file.
Reading is open to anyone; posting needs a partner's api_key (OPEN311_KEYS). Every refusal
is the spec's error document, never a page."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from piccolo.query.functions.aggregate import Max

from server import localtime
from server.auth.access import PUBLIC, allow
from server.directory import service as directory
from server.hazards import service as hazards
from server.i18n import N_, gettext
from server.tipoffs import limits, open311, service
from server.tipoffs.fields import FieldProblem, clean
from server.tipoffs.routes import read_photos, stores_of
from server.tipoffs.tables import TipOff, TipOffEvent
from server.web import errors

ROOT = "/open311/v2"
#: the spec's default window and page of GET requests
WINDOW = timedelta(days=90)
PAGE = 1000
#: a public listing shows a location to about 100 m (the reporter was standing there)
PUBLIC_DECIMALS = 3
OPEN = {"received", "accepted"}
#: our field names -> the spec's parameters, for a refusal's text
PARAMETERS = {
    "category": "service_code",
    "description": "description",
    "lat": "lat",
    "lng": "long",
    "address": "address_string",
    "name": "first_name",
    "mobile": "phone",
    "photos": "media",
}


class Open311Error(Exception):
    """A refusal as the spec's error document: a catalog message in the caller's
    language, naming the API's own parameters only."""

    def __init__(self, status: int, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.code = status
        self.description = gettext(message, **params)


#: reads are open to pages of other origins (a city's dashboard, a map): CORS
READ_HEADERS = {"Access-Control-Allow-Origin": "*"}


def _answer(kind: str, body: Any, fmt: str, status: int = 200, read: bool = True) -> Response:
    return Response(
        open311.render(kind, body, fmt),
        status_code=status,
        media_type=open311.FORMATS[fmt],
        headers=READ_HEADERS if read else None,
    )


def _error_document(request: Request, status: int, message: str) -> Response:
    """What the app answers under /open311/ for a route it does not have (404), a method
    it does not take (405), a body too large (413) or any other error: the spec's errors
    document in the format the path asks for, never a page."""
    status = status if status in SPEC_ERRORS else 400 if status < 500 else status
    return _answer("errors", open311.error(status, message), _fmt_of(request), status)


#: the statuses GeoReport v2 names; a refusal it does not name (a rate limit) is its 400
SPEC_ERRORS = {400, 403, 404, 405, 413, 500, 503}
errors.RESPONDERS[ROOT.rsplit("/", 1)[0] + "/"] = _error_document


def _split(name: str) -> tuple[str, str]:
    """`fire.ebike.json` -> ("fire.ebike", "json")."""
    stem, _, fmt = name.rpartition(".")
    if fmt not in open311.FORMATS or not stem:
        raise Open311Error(404, N_("Append .json or .xml to the resource."))
    return stem, fmt


def _fmt_of_name(name: str) -> str:
    """The format a resource name asks for (an error document in JSON when it asks none)."""
    return "xml" if name.endswith(".xml") else "json"


def _fmt_of(request: Request) -> str:
    return _fmt_of_name(request.url.path)


async def _guarded(fmt: str, kind: str, make: Any, read: bool = True) -> Response:
    try:
        return _answer(kind, await make(), fmt, read=read)
    except Open311Error as exc:
        return _answer("errors", open311.error(exc.code, exc.description), fmt, exc.code, read)


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
            raise Open311Error(
                404, N_("service_code %(service)s is not a service here."), service=code
            )
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
            raise Open311Error(403, N_("api_key is missing or not one given out here."))
        address_id = (form.get("address_id") or "").strip()
        values = {
            "category": form.get("service_code") or "",
            "description": form.get("description") or "",
            "lat": form.get("lat") or "",
            "lng": form.get("long") or "",
            # a location by the partner's own address id alone is kept as that id
            "address": form.get("address_string")
            or (gettext(N_("Address id %(id)s"), id=address_id[:100]) if address_id else ""),
            "name": " ".join(filter(None, [form.get("first_name"), form.get("last_name")])),
            "mobile": form.get("phone") or "",
        }
        if not values["category"]:
            raise Open311Error(400, N_("service_code is missing."))
        categories = {c.code for c in await hazards.categories()}
        if values["category"] not in categories:
            raise Open311Error(
                404,
                N_("service_code %(service)s is not a service here."),
                service=values["category"],
            )
        settings = request.app.state.settings
        try:
            photos = await read_photos(form.getall("media") if "media" in form else [])
            receipt = await service.submit(
                clean(values, photos, categories, relayed=True),
                stores=stores_of(request),
                rules=limits.limits_from(settings.tipoff_limits),
                secret=settings.secret_key,
                ip="",  # a partner relays many residents: its IP is not one sender
                source="open311",
                partner=partner,
                media_url=(form.get("media_url") or "")[:500],
            )
        except FieldProblem as exc:
            raise Open311Error(
                400,
                N_("%(parameter)s: %(problem)s"),
                parameter=PARAMETERS.get(exc.name, exc.name),
                problem=gettext(exc.message),
            ) from None
        except limits.Refused as exc:
            # the spec names no "too many requests": a refusal is its 400, with the reason
            raise Open311Error(400, exc.message) from None
        notice = gettext(N_("Received. The station of the area handles it."))
        # the number is given at once: service_request_id, not a token (one or the other)
        return [{"service_request_id": receipt.number, "service_notice": notice}]

    response = await _guarded(fmt, "service_requests", make, read=False)
    if response.status_code == 200:
        response.status_code = 201
    return response


async def _records(rows: list[dict[str, Any]], partner: str | None) -> list[dict[str, Any]]:
    names = await hazards.category_names()
    areas = await directory.area_names([r["area_path"] for r in rows])
    outcomes = await hazards.outcomes([r["hazard_id"] for r in rows])
    last = await _last_events([r["id"] for r in rows])
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
        moments = [
            row["received_at"],
            row["accepted_at"],
            row["replied_at"],
            row["resolved_at"],
            last.get(row["id"]),  # a rejection, a join, a reward step: the trail's last
        ]
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


async def _last_events(ids: list[Any]) -> dict[Any, datetime]:
    if not ids:
        return {}
    rows = (
        await TipOffEvent.select(TipOffEvent.tipoff_id, Max(TipOffEvent.at, alias="at"))
        .where(TipOffEvent.tipoff_id.is_in(ids))
        .group_by(TipOffEvent.tipoff_id)
    )
    return {r["tipoff_id"]: _aware(r["at"]) for r in rows if r["at"]}


def _aware(moment: Any) -> datetime:
    """An aggregate's timestamp (SQLite gives it back as text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _moment(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Open311Error(
            400,
            N_("%(name)s is not a date like 2026-11-24 or 2026-11-24T08:00:00+08:00."),
            name=name,
        ) from None
    if len(value) == 10:  # a date alone: its start, in the city's time
        return datetime.combine(moment.date(), time.min, localtime.ZONE)
    if moment.tzinfo is None:
        raise Open311Error(400, N_("%(name)s needs a time zone (Z or +08:00)."), name=name)
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
            raise Open311Error(400, N_("start_date to end_date may span at most 90 days."))
        where = (TipOff.received_at >= start) & (TipOff.received_at <= end)
        if codes := _list(params.get("service_code")):
            where = where & TipOff.category.is_in(codes)
        statuses = set(_list(params.get("status")))
        if statuses - {"open", "closed"}:
            raise Open311Error(400, N_("status is open or closed."))
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
            raise Open311Error(
                404, N_("service_request_id %(id)s is not a request here."), id=number
            )
        return await _records([row], _partner(request, request.query_params.get("api_key")))

    return await _guarded(fmt, "service_requests", make)


@get(f"{ROOT}/tokens/{{name:str}}", opt=allow(PUBLIC))
async def show_token(name: FromPath[str]) -> Response:
    fmt = _fmt_of_name(name)

    async def make() -> list[dict[str, Any]]:
        token, _ = _split(name)
        row = await service.by_token(token)
        if row is None:
            raise Open311Error(404, N_("token %(token)s is not a request here."), token=token)
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
