"""The OpenAPI description of everything a person or system without an account may call:
the tip-off form and its tracking pages, and Open311. Written by hand: the forms are read
from the request, so a generated schema would not know their fields (and fuzzing it would
never reach them). Served at /openapi/public.json."""

from __future__ import annotations

import copy
from typing import Any

from litestar import get

from server.auth.access import PUBLIC, allow
from server.hazards import service as hazards

_TEXT = {"type": "string"}
_FORMAT = {
    "name": "format",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": ["json", "xml"]},
}
_JURISDICTION = {"name": "jurisdiction_id", "in": "query", "required": False, "schema": _TEXT}
_OPEN311 = {
    "200": {"description": "the document", "content": {"application/json": {}, "text/xml": {}}},
    "400": {"description": "a parameter is wrong (an errors document)"},
    "404": {"description": "not found (an errors document)"},
}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": _TEXT}


def _query(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "in": "query", "required": False, "schema": _TEXT} for n in names]


def _html(*codes: str) -> dict[str, Any]:
    return {code: {"description": "a page", "content": {"text/html": {}}} for code in codes}


TIPOFF_FORM = {
    "type": "object",
    "required": ["category", "description"],
    "properties": {
        "category": _TEXT,
        "description": {"type": "string", "minLength": 5, "maxLength": 2000},
        "lat": _TEXT,
        "lng": _TEXT,
        "accuracy": _TEXT,
        "address": {"type": "string", "maxLength": 200},
        "name": {"type": "string", "maxLength": 50},
        "mobile": _TEXT,
        "photos": {"type": "array", "maxItems": 6, "items": {"type": "string", "format": "binary"}},
    },
}
OPEN311_POST = {
    "type": "object",
    "required": ["api_key", "service_code"],
    "properties": {
        name: _TEXT
        for name in (
            "api_key",
            "service_code",
            "lat",
            "long",
            "address_string",
            "description",
            "first_name",
            "last_name",
            "phone",
            "email",
            "media_url",
        )
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Gridwatch public endpoints", "version": "1"},
    "paths": {
        "/tipoffs/new": {"get": {"responses": _html("200")}},
        "/tipoffs": {
            "post": {
                "description": "A tip-off (the form's CSRF token is needed, as for any form).",
                "requestBody": {
                    "required": True,
                    "content": {"multipart/form-data": {"schema": TIPOFF_FORM}},
                },
                "responses": {
                    "303": {"description": "stored: to its tracking page"},
                    **_html("403", "413", "422", "429"),
                },
            }
        },
        "/tipoffs/track": {
            "get": {
                "parameters": _query("code"),
                "responses": {"303": {"description": "to the tip-off"}, **_html("200", "404")},
            }
        },
        "/t/{code}": {"get": {"parameters": [_path("code")], "responses": _html("200", "404")}},
        "/t/{code}/photos/{n}": {
            "get": {
                "parameters": [
                    _path("code"),
                    {"name": "n", "in": "path", "required": True, "schema": {"type": "integer"}},
                ],
                "responses": {"200": {"description": "the photo without metadata"}, **_html("404")},
            }
        },
        "/open311/discovery.{format}": {"get": {"parameters": [_FORMAT], "responses": _OPEN311}},
        "/open311/v2/services.{format}": {
            "get": {"parameters": [_FORMAT, _JURISDICTION], "responses": _OPEN311}
        },
        "/open311/v2/services/{service_code}.{format}": {
            "get": {"parameters": [_path("service_code"), _FORMAT], "responses": _OPEN311}
        },
        "/open311/v2/requests.{format}": {
            "get": {
                "parameters": [
                    _FORMAT,
                    _JURISDICTION,
                    *_query(
                        "service_request_id",
                        "service_code",
                        "start_date",
                        "end_date",
                        "status",
                        "api_key",
                    ),
                ],
                "responses": _OPEN311,
            },
            "post": {
                "parameters": [_FORMAT],
                "requestBody": {
                    "required": True,
                    "content": {"application/x-www-form-urlencoded": {"schema": OPEN311_POST}},
                },
                "responses": {
                    "201": {"description": "stored", "content": {"application/json": {}}},
                    "403": {"description": "api_key missing or wrong"},
                    "429": {"description": "a limit was reached"},
                    **_OPEN311,
                },
            },
        },
        "/open311/v2/requests/{service_request_id}.{format}": {
            "get": {"parameters": [_path("service_request_id"), _FORMAT], "responses": _OPEN311}
        },
        "/open311/v2/tokens/{token}.{format}": {
            "get": {"parameters": [_path("token"), _FORMAT], "responses": _OPEN311}
        },
    },
}


def document(codes: list[str]) -> dict[str, Any]:
    """The description with today's categories as the allowed service codes."""
    described = copy.deepcopy(DOCUMENT)
    paths = described["paths"]
    form = paths["/tipoffs"]["post"]["requestBody"]["content"]["multipart/form-data"]
    form["schema"]["properties"]["category"] = {"type": "string", "enum": codes}
    post = paths["/open311/v2/requests.{format}"]["post"]["requestBody"]["content"]
    post["application/x-www-form-urlencoded"]["schema"]["properties"]["service_code"] = {
        "type": "string",
        "enum": codes,
    }
    return described


@get("/openapi/public.json", opt=allow(PUBLIC), include_in_schema=False)
async def public_schema() -> dict[str, Any]:
    return document([c.code for c in await hazards.categories()])
