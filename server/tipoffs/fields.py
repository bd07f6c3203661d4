"""What a resident may send, checked once for the public form and Open311 alike; a bad
value is a translated message naming the field, and the form keeps what was typed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from server.i18n import N_

DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 2000
#: what GeoReport v2 allows a relayed request: no description at all, up to 4,000 characters
RELAYED_DESCRIPTION_MAX = 4000
ADDRESS_MAX, NAME_MAX = 200, 50
MAX_PHOTOS = 6
#: a photo as sent (the phone's camera, not yet scaled down)
MAX_PHOTO_BYTES = 10 * 1024 * 1024
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
#: a fixed line with its area code (0571 88001234, 010-12345678)
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")


def phone_digits(raw: str) -> str:
    """A number as people write it, digits only: spaces, dashes and brackets dropped, the
    country code (+86, 0086) too."""
    digits = re.sub(r"[\s\-()（）]", "", raw)
    return re.sub(r"^(\+86|0086)", "", digits)


class FieldProblem(ValueError):
    """A message id and the form field it is about."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


@dataclass(frozen=True)
class Draft:
    category: str
    description: str
    lat: float | None = None
    lng: float | None = None
    accuracy: float | None = None
    address: str = ""
    name: str = ""
    mobile: str = ""
    photos: list[bytes] = field(default_factory=list)


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    return value.strip() if isinstance(value, str) else ""


def _number(values: Mapping[str, Any], name: str, low: float, high: float) -> float | None:
    text = _text(values, name)
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise FieldProblem(name, N_("The location could not be read.")) from None
    if not low <= number <= high:
        raise FieldProblem(name, N_("The location could not be read."))
    return number


def clean(
    values: Mapping[str, Any],
    photos: list[bytes],
    categories: set[str],
    *,
    relayed: bool = False,
) -> Draft:
    """The draft of a tip-off from form values (strings) and photo bytes. `relayed`: a
    partner system (a hotline) relays a caller: a description may be missing or long (as
    GeoReport v2 allows) and the number may be a fixed line."""
    category = _text(values, "category")
    if category not in categories:
        raise FieldProblem("category", N_("Choose what kind of hazard it is."))
    description = _text(values, "description")
    if relayed:
        if len(description) > RELAYED_DESCRIPTION_MAX:
            raise FieldProblem(
                "description", N_("The description may be at most 4,000 characters.")
            )
    elif not DESCRIPTION_MIN <= len(description) <= DESCRIPTION_MAX:
        raise FieldProblem("description", N_("Describe what you saw in 5 to 2,000 characters."))
    lat = _number(values, "lat", -90, 90)
    lng = _number(values, "lng", -180, 180)
    if (lat is None) != (lng is None):
        raise FieldProblem("lat", N_("The location could not be read."))
    address = _text(values, "address")
    if len(address) > ADDRESS_MAX:
        raise FieldProblem("address", N_("The address may be at most 200 characters."))
    if lat is None and not address:
        raise FieldProblem("address", N_("Give the place: use your location or type the address."))
    name = _text(values, "name")
    if len(name) > NAME_MAX:
        raise FieldProblem("name", N_("The name may be at most 50 characters."))
    mobile = phone_digits(_text(values, "mobile"))
    if relayed and mobile and not (_MOBILE.match(mobile) or _LANDLINE.match(mobile)):
        raise FieldProblem(
            "mobile",
            N_("A phone number is a mobile (11 digits) or a fixed line with its area code."),
        )
    if not relayed and mobile and not _MOBILE.match(mobile):
        raise FieldProblem("mobile", N_("A mobile number has 11 digits and starts with 1."))
    if len(photos) > MAX_PHOTOS:
        raise FieldProblem("photos", N_("At most 6 photos."))
    if any(len(p) > MAX_PHOTO_BYTES for p in photos):
        raise FieldProblem("photos", N_("A photo may be at most 10 MB."))
    accuracy = _number(values, "accuracy", 0, 1_000_000) if lat is not None else None
    return Draft(category, description, lat, lng, accuracy, address, name, mobile, photos)
