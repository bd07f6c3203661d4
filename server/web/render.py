"""One helper decides between a page and its fragment; handlers never test request.htmx."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request
from litestar.response import Template


def render(
    request: Request,
    page: str,
    context: Mapping[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Template:
    """The page, or only `fragment` when htmx asks for a part of the page that is not boosted."""
    htmx = getattr(request, "htmx", None)
    wants_fragment = bool(htmx) and not getattr(htmx, "boosted", False)
    name = fragment if (fragment and wants_fragment) else page
    return Template(
        template_name=name,
        context=dict(context or {}),
        status_code=status_code,
        headers=dict(headers or {}),
    )
