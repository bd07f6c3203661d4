"""CAP severity, urgency and wording -> our four levels and hazard types (a table)."""

from __future__ import annotations

import pytest

from server.callups.cap import CapInfo
from server.callups.kinds import HazardType, WarningLevel
from server.geo import inside_polygon

RED, ORANGE, YELLOW, BLUE = (
    WarningLevel.red,
    WarningLevel.orange,
    WarningLevel.yellow,
    WarningLevel.blue,
)


def info(severity: str, urgency: str = "Expected", event: str = "", headline: str = "") -> CapInfo:
    return CapInfo("zh-CN", event, urgency, severity, "Likely", headline, "", "", None, None, [])


@pytest.mark.parametrize(
    ("severity", "urgency", "headline", "level"),
    [
        ("Extreme", "Immediate", "", RED),
        ("Severe", "Expected", "", ORANGE),
        ("Moderate", "Future", "", YELLOW),
        ("Minor", "Past", "", BLUE),
        # severity carries the colour in GB/T 35965.1: a headline cannot override it
        ("Severe", "Expected", "暴雨红色预警降级为橙色", ORANGE),
        ("Unknown", "Expected", "暴雨红色预警降级为橙色", ORANGE),  # the last colour named
        ("Unknown", "Expected", "暴雨蓝色预警", BLUE),
        ("Unknown", "Immediate", "SEVERE WEATHER", YELLOW),
        ("Unknown", "Past", "EQ 6.3", BLUE),
    ],
)
def test_levels(severity: str, urgency: str, headline: str, level: WarningLevel) -> None:
    assert info(severity, urgency, headline=headline).level is level


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ("山洪", HazardType.flash_flood),
        ("Flash Flood Watch", HazardType.flash_flood),
        ("洪水", HazardType.flood),
        ("暴雨", HazardType.rainstorm),
        ("台风", HazardType.typhoon),
        ("地质灾害", HazardType.geohazard),
        ("森林火险", HazardType.forest_fire),
        ("SEVERE THUNDERSTORM", HazardType.thunderstorm),
        ("Earthquake", HazardType.other),
    ],
)
def test_hazard_types(event: str, kind: HazardType) -> None:
    assert info("Severe", event=event).hazard_type is kind


SQUARE = [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0), (0.0, 0.0)]


@pytest.mark.parametrize(
    ("lat", "lng", "inside"),
    [(0.5, 0.5, True), (0.01, 0.99, True), (1.5, 0.5, False), (0.5, -0.01, False)],
)
def test_inside_polygon(lat: float, lng: float, inside: bool) -> None:
    assert inside_polygon(lat, lng, SQUARE) is inside
