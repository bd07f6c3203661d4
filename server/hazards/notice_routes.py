"""The 督办通知书 (supervision notice) of a hazard under 挂牌督办: one page to print, and the
public list of the notices a city has published (公开挂牌督办)."""

from __future__ import annotations

import uuid

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from server.auth.access import PUBLIC, SIGNED_IN, allow, viewer_of
from server.directory import service as directory
from server.errors import NotFound
from server.hazards import service
from server.hazards.policy import SUPERVISION_FIELDS
from server.i18n import N_, gettext
from server.web.render import render

NOT_SUPERVISED = N_("This hazard has no supervision notice.")


@get("/hazards/{hazard_id:uuid}/notice", opt=allow(SIGNED_IN))
async def supervision_notice(request: Request, hazard_id: FromPath[uuid.UUID]) -> Template:
    hazard = await service.get(viewer_of(request), hazard_id)
    if not hazard.supervision_no:
        raise NotFound(NOT_SUPERVISED)
    unit = await directory.area_by_path(hazard.supervision_unit)
    where = (await directory.whereabouts([hazard.area_path])).get(hazard.area_path, "")
    return render(
        request,
        "hazards/notice.html",
        {
            "h": hazard,
            "unit": unit.name if unit else "",
            "where": where,
            "five": [(k, gettext(v)) for k, v in SUPERVISION_FIELDS.items()],
        },
    )


@get("/supervision", name="published_supervision", opt=allow(PUBLIC))
async def published_supervision(request: Request) -> Template:
    """Notices whose publication date has come, newest first: what the city tells the
    public it supervises, and which are delisted."""
    notices = await service.published_notices()
    return render(request, "hazards/published.html", {"notices": notices})


ROUTES = [supervision_notice, published_supervision]
