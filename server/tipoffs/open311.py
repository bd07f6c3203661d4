"""Open311 GeoReport v2 documents: services, service definitions, service requests, tokens
and errors, each as the spec's JSON or XML (UTF-8, an XML declaration, w3 datetimes with an
offset). Our richer states travel in status_notes; a public document never names the
reporter."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from server import localtime
from server.hazards.records import Category

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: the framework adds "; charset=utf-8" itself
FORMATS = {"json": "application/json", "xml": "text/xml"}
#: the order the spec lists a service request's fields in
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)


def w3(moment: datetime | None) -> str | None:
    """ISO 8601 as the w3 note has it, with the offset (the spec requires one): the
    city's own time, +08:00."""
    return moment.astimezone(localtime.ZONE).isoformat(timespec="seconds") if moment else None


def service(category: Category, group: str, name: str) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": name,
        "description": category.name_en or name,
        "metadata": False,
        "type": "realtime",
        "keywords": category.name,
        "group": group,
    }


def definition(code: str) -> dict[str, Any]:
    """No service asks for more than the standard fields: no attributes."""
    return {"service_code": code, "attributes": []}


def render(kind: str, body: Any, fmt: str) -> str:
    """`body` as the spec's document of `kind`: services, service_definition,
    service_requests, or errors."""
    if fmt == "json":
        return json.dumps(body, ensure_ascii=False)
    root = Element(kind)
    if kind in ("service_definition", "discovery"):
        _fill(root, body)
    else:
        child = {"services": "service", "service_requests": "request", "errors": "error"}[kind]
        for item in body:
            _fill(SubElement(root, child), item)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + tostring(root, encoding="unicode")


def _fill(parent: Element, item: Mapping[str, Any]) -> None:
    for key, value in item.items():
        element = SubElement(parent, key)
        if isinstance(value, Sequence) and not isinstance(value, str):
            for entry in value:  # <attributes><attribute>…</attribute>, <formats><format>…
                item_element = SubElement(element, key.removesuffix("s"))
                if isinstance(entry, Mapping):
                    _fill(item_element, entry)
                else:
                    item_element.text = str(entry)
        elif isinstance(value, bool):
            element.text = "true" if value else "false"
        elif value is not None:
            element.text = str(value)


def error(code: int, description: str) -> list[dict[str, Any]]:
    return [{"code": code, "description": description}]
