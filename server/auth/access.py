"""The access rule every route declares, and the one guard that enforces it.

A handler says who may call it with `opt=allow(...)`: `PUBLIC` (anyone, no login),
`SIGNED_IN` (any person logged in) or a set of post kinds. A route without a rule is refused
to everyone (and the authorization-matrix test fails), so forgetting one cannot open a hole.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from server.auth.service import Viewer
from server.directory.kinds import PostKind

log = logging.getLogger("gridwatch.access")

KEY = "access"
PUBLIC = "public"
SIGNED_IN = "signed_in"

# The role groups, defined once for the whole app (what each group may do is in each
# domain's policy and in the routes' rules):
#: station and bureau staff and admins: handle hazards and tip-offs, plan patrols
STAFF = frozenset({PostKind.station_staff, PostKind.bureau_staff, PostKind.admin})
#: above the stations: supervision (挂牌督办), routing tip-offs between towns, rewards
BUREAU = frozenset({PostKind.bureau_staff, PostKind.admin})
#: staff and duty officers: issue call-ups and warnings, see others' sync conflicts
ON_DUTY = frozenset({*STAFF, PostKind.duty_officer})
#: who reports hazards in the field and handles them
FIELD = frozenset({PostKind.grid_member, *STAFF})
ADMIN = frozenset({PostKind.admin})


def allow(*who: str | PostKind | frozenset[PostKind]) -> dict[str, Any]:
    """`opt` for a route handler: PUBLIC, SIGNED_IN, or post kinds (and sets of them)."""
    if who in ((PUBLIC,), (SIGNED_IN,)):
        return {KEY: who[0]}
    kinds: set[PostKind] = set()
    for item in who:
        kinds.update(item if isinstance(item, frozenset) else {PostKind(item)})
    return {KEY: frozenset(kinds)}


def rule_of(handler: BaseRouteHandler) -> str | frozenset[PostKind] | None:
    return handler.opt.get(KEY)


def permits(rule: str | frozenset[PostKind] | None, viewer: Viewer | None) -> bool | None:
    """True: allowed; None: must log in first; False: logged in but not allowed."""
    if rule == PUBLIC:
        return True
    if viewer is None:
        return None if rule is not None else False
    if rule == SIGNED_IN:
        return True
    if isinstance(rule, frozenset):
        return bool(rule & viewer.kinds)
    return False


def access_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    rule = rule_of(handler)
    if rule is None:
        log.error("route %s declares no access rule: refused", connection.url.path)
    verdict = permits(rule, connection.scope.get("user"))
    if verdict is None:
        raise NotAuthorizedException()
    if verdict is False:
        raise PermissionDeniedException()


def viewer_of(request: Request) -> Viewer:
    """The logged-in person; the access guard has already refused anonymous requests."""
    viewer = request.scope.get("user")
    if viewer is None:
        raise NotAuthorizedException()
    return viewer
