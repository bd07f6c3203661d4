"""Reading a CAP alert (Common Alerting Protocol 1.2 and 1.1) safely, with no database.

The XML is parsed by defusedxml with DTDs, entities and external references forbidden: a
file that declares any of them is refused before anything is expanded or fetched, and
ElementTree never processes XInclude. What comes out is plain data; `warnings.py` maps it
onto our areas and stores it.

Level mapping (GB/T 35965.1 practice, where severity carries the colour): severity
Extreme -> red, Severe -> orange, Moderate -> yellow, Minor -> blue. Only when the severity
is Unknown does a colour named in the event or headline decide (the last one named: "红色
预警降级为橙色" is orange); failing that, yellow when the urgency is Immediate, else blue.
"""

from __future__ import annotations

import codecs
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from server import geo
from server.callups.kinds import HazardType, WarningLevel
from server.i18n import N_, gettext

NAMESPACES = {
    "urn:oasis:names:tc:emergency:cap:1.2": "1.2",
    "urn:oasis:names:tc:emergency:cap:1.1": "1.1",
}
MAX_BYTES = 1_000_000
REQUIRED = ("identifier", "sender", "sent", "status", "msgType", "scope")
INFO_REQUIRED = ("category", "event", "urgency", "severity", "certainty")
STATUSES = ("Actual", "Exercise")
MSG_TYPES = ("Alert", "Update", "Cancel")
#: geocode schemes of other countries: their values are not our administrative codes
FOREIGN_SCHEMES = ("SAME", "FIPS6", "UGC", "profile:CAP-CP")
_SEVERITY = {
    "Extreme": WarningLevel.red,
    "Severe": WarningLevel.orange,
    "Moderate": WarningLevel.yellow,
    "Minor": WarningLevel.blue,
}
_COLOURS = (
    ("红色", WarningLevel.red),
    ("橙色", WarningLevel.orange),
    ("黄色", WarningLevel.yellow),
    ("蓝色", WarningLevel.blue),
    ("red", WarningLevel.red),
    ("orange", WarningLevel.orange),
    ("yellow", WarningLevel.yellow),
    ("blue", WarningLevel.blue),
)
#: first match wins: 山洪 before 洪水, flash flood before flood
_TYPES = (
    (("台风", "typhoon", "hurricane", "tropical storm"), HazardType.typhoon),
    (("山洪", "flash flood"), HazardType.flash_flood),
    (("洪水", "汛", "flood"), HazardType.flood),
    (("暴雨", "rainstorm", "heavy rain"), HazardType.rainstorm),
    (("地质灾害", "滑坡", "泥石流", "崩塌", "landslide", "debris flow"), HazardType.geohazard),
    (("森林火险", "森林火灾", "forest fire", "wildfire"), HazardType.forest_fire),
    (("雷电", "雷暴", "thunderstorm"), HazardType.thunderstorm),
)


class CapRefused(Exception):
    """The file is not an alert we can take: a one-line reason, a catalog message whose
    `%(name)s` parts are `params`; `str()` is the English, `text()` the person's language."""

    def __init__(self, message: str, **params: object) -> None:
        self.message, self.params = message, params
        super().__init__(message % params if params else message)

    def text(self) -> str:
        return gettext(self.message, **self.params)


@dataclass(frozen=True)
class CapArea:
    desc: str
    polygons: list[list[tuple[float, float]]] = field(default_factory=list)
    circles: list[tuple[float, float, float]] = field(default_factory=list)
    geocodes: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class CapInfo:
    language: str
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str
    description: str
    instruction: str
    effective: datetime | None
    expires: datetime | None
    areas: list[CapArea]

    @property
    def level(self) -> WarningLevel:
        if self.severity in _SEVERITY:
            return _SEVERITY[self.severity]
        text = f"{self.event} {self.headline}".lower()
        named = [(text.rfind(word), level) for word, level in _COLOURS if word in text]
        if named:
            return max(named)[1]
        return WarningLevel.yellow if self.urgency == "Immediate" else WarningLevel.blue

    @property
    def hazard_type(self) -> HazardType:
        text = f"{self.event} {self.headline}".lower()
        for words, kind in _TYPES:
            if any(w in text for w in words):
                return kind
        return HazardType.other


@dataclass(frozen=True)
class CapAlert:
    version: str
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    references: list[tuple[str, str]]
    infos: list[CapInfo]

    @property
    def main(self) -> CapInfo | None:
        """The block shown first: Chinese when there is one, else the first."""
        for info in self.infos:
            if info.language.lower().startswith("zh"):
                return info
        return self.infos[0] if self.infos else None


def parse(data: bytes) -> CapAlert:
    """The alert in `data`, or CapRefused with the reason."""
    if len(data) > MAX_BYTES:
        raise CapRefused(
            N_("The file is too large (%(size)s bytes; at most %(limit)s)."),
            size=len(data),
            limit=MAX_BYTES,
        )
    data = as_utf8(data)
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise CapRefused(
            N_("XML with a DTD, entities or external references is refused (%(what)s)."),
            what=type(exc).__name__,
        ) from None
    except ParseError as exc:
        raise CapRefused(N_("The file is not well-formed XML (%(where)s)."), where=exc) from None
    namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", "")
    if local != "alert" or namespace not in NAMESPACES:
        raise CapRefused(
            N_("This is not a CAP 1.1 or 1.2 alert (its root element is %(tag)s)."),
            tag=root.tag[:80],
        )
    get = _reader(namespace)
    for name in REQUIRED:
        if not get(root, name):
            raise CapRefused(N_("The alert is missing the required <%(name)s>."), name=name)
    status, msg_type = get(root, "status"), get(root, "msgType")
    if status not in STATUSES:
        raise CapRefused(
            N_("Status %(status)s is not a warning to act on (Actual or Exercise)."),
            status=status[:40],
        )
    if msg_type not in MSG_TYPES:
        raise CapRefused(
            N_("Message type %(type)s is not taken (Alert, Update or Cancel)."),
            type=msg_type[:40],
        )
    infos = [_info(get, node) for node in root.findall(f"{{{namespace}}}info")]
    if msg_type != "Cancel" and not infos:
        raise CapRefused(N_("The alert has no <info> block: nothing to warn about."))
    references = _references(get(root, "references"))
    if (get(root, "sender"), get(root, "identifier")) in references:
        raise CapRefused(N_("The alert refers to itself in <references>."))
    if msg_type != "Alert" and not references:
        raise CapRefused(
            N_("An %(type)s must name the alert it refers to in <references>."), type=msg_type
        )
    return CapAlert(
        version=NAMESPACES[namespace],
        identifier=get(root, "identifier"),
        sender=get(root, "sender"),
        sent=_time(get(root, "sent"), "sent"),
        status=status,
        msg_type=msg_type,
        references=references,
        infos=infos,
    )


_DECLARED = re.compile(rb"""\A\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
#: what a Chinese sender declares, read as the encoding that contains them all
_CHINESE = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "cp936": "gb18030"}


def as_utf8(data: bytes) -> bytes:
    """The file in UTF-8 for the parser (expat reads no multi-byte encoding but UTF-8 and
    UTF-16): an encoding declared in the prolog (GB2312, GBK, GB18030...) is decoded here
    and the declaration rewritten; a file declaring none must be UTF-8 (or carry a BOM)."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data
    declared = _DECLARED.match(data)
    name = declared.group(1).decode("ascii").lower() if declared else ""
    if name in ("", "utf-8", "utf8"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            if name:
                raise CapRefused(N_("The file says it is UTF-8, but it is not.")) from None
            raise CapRefused(
                N_(
                    "The file is not UTF-8 and does not say its encoding: add "
                    '<?xml version="1.0" encoding="GB18030"?> (or the one it is in).'
                )
            ) from None
        return data
    try:
        codec = _CHINESE.get(name) or codecs.lookup(name).name
        text = data.decode(codec)
    except LookupError:
        raise CapRefused(N_("Unknown encoding %(name)s."), name=name) from None
    except UnicodeDecodeError:
        raise CapRefused(N_("The file is not valid %(name)s."), name=name.upper()) from None
    assert declared is not None
    head = len(declared.group(0))  # ASCII: as many characters as bytes, up to the value
    utf8 = re.sub(r"""encoding\s*=\s*["'][^"']*["']\Z""", 'encoding="UTF-8"', text[:head])
    return (utf8 + text[head:]).encode("utf-8")


def _reader(namespace: str):
    def get(node: Any, name: str) -> str:
        found = node.find(f"{{{namespace}}}{name}")
        return (found.text or "").strip() if found is not None else ""

    get.ns = namespace  # type: ignore[attr-defined]
    return get


def _info(get: Any, node: Any) -> CapInfo:
    for name in INFO_REQUIRED:
        if not get(node, name):
            raise CapRefused(N_("An <info> is missing the required <%(name)s>."), name=name)
    ns = get.ns
    effective = get(node, "effective") or get(node, "onset")
    expires = get(node, "expires")
    return CapInfo(
        language=get(node, "language") or "en-US",
        event=get(node, "event"),
        urgency=get(node, "urgency"),
        severity=get(node, "severity"),
        certainty=get(node, "certainty"),
        headline=get(node, "headline") or get(node, "event"),
        description=get(node, "description"),
        instruction=get(node, "instruction"),
        effective=_time(effective, "effective") if effective else None,
        expires=_time(expires, "expires") if expires else None,
        areas=[_area(get, a) for a in node.findall(f"{{{ns}}}area")],
    )


def _area(get: Any, node: Any) -> CapArea:
    ns = get.ns
    if not get(node, "areaDesc"):
        raise CapRefused(N_("An <area> is missing the required <areaDesc>."))
    polygons = [_points(p.text or "") for p in node.findall(f"{{{ns}}}polygon")]
    circles = [_circle(c.text or "") for c in node.findall(f"{{{ns}}}circle")]
    geocodes = [(get(g, "valueName"), get(g, "value")) for g in node.findall(f"{{{ns}}}geocode")]
    return CapArea(get(node, "areaDesc"), polygons, circles, geocodes)


def _points(text: str) -> list[tuple[float, float]]:
    try:
        points = [tuple(float(v) for v in pair.split(",")) for pair in text.split()]
    except ValueError:
        raise CapRefused(
            N_("A <polygon> is not a list of lat,lon pairs: %(text)s"), text=text[:60]
        ) from None
    if len(points) < 4 or any(len(p) != 2 for p in points):
        raise CapRefused(N_("A <polygon> needs at least four lat,lon pairs."))
    ring = [(p[0], p[1]) for p in points]
    for lat, lng in ring:
        _on_earth(lat, lng)
    if ring[0] != ring[-1]:
        raise CapRefused(N_("A <polygon> is not closed: its last point must be its first."))
    if _crosses_itself(ring):
        raise CapRefused(N_("A <polygon> crosses itself."))
    return ring


def _on_earth(lat: float, lng: float) -> None:
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise CapRefused(
            N_(
                "The point %(lat)s,%(lng)s is not on Earth (latitude -90 to 90, longitude "
                "-180 to 180)."
            ),
            lat=lat,
            lng=lng,
        )


def _crosses_itself(ring: list[tuple[float, float]]) -> bool:
    """Whether two edges that are not neighbours cross or touch (as google/cap-library
    refuses): edges swept by their west ends, so only those that overlap east-west are
    compared."""
    edges = list(itertools.pairwise(ring))
    n = len(edges)
    order = sorted(range(n), key=lambda i: min(edges[i][0][1], edges[i][1][1]))
    active: list[int] = []
    for i in order:
        west = min(edges[i][0][1], edges[i][1][1])
        active = [j for j in active if max(edges[j][0][1], edges[j][1][1]) >= west]
        for j in active:
            if abs(i - j) in (1, n - 1):  # neighbours share a point by design
                continue
            if geo.segments_meet(*edges[i], *edges[j], touching=True):
                return True
        active.append(i)
    return False


def _circle(text: str) -> tuple[float, float, float]:
    match = re.fullmatch(r"\s*(-?[\d.]+),(-?[\d.]+)\s+([\d.]+)\s*", text)
    if not match:
        raise CapRefused(N_('A <circle> is not "lat,lon radius": %(text)s'), text=text[:60])
    lat, lng, radius = (float(g) for g in match.groups())
    _on_earth(lat, lng)
    return lat, lng, radius


def _references(text: str) -> list[tuple[str, str]]:
    """`sender,identifier,sent` triples, whitespace separated -> (sender, identifier)."""
    found = []
    for item in text.split():
        parts = item.split(",")
        if len(parts) != 3 or not all(parts):
            raise CapRefused(
                N_("A reference is not sender,identifier,sent: %(text)s"), text=item[:80]
            )
        _time(parts[2], "references")
        found.append((parts[0], parts[1]))
    return found


def _time(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CapRefused(
            N_("<%(name)s> is not a date-time: %(text)s"), name=name, text=text[:40]
        ) from None
    if value.tzinfo is None:
        raise CapRefused(N_("<%(name)s> has no time zone: %(text)s"), name=name, text=text[:40])
    return value


def admin_codes(area: CapArea) -> list[str]:
    """Geocode values that can be Chinese administrative codes (6, 9 or 12 digits, or a
    grid code), skipping schemes of other countries."""
    return [
        value
        for scheme, value in area.geocodes
        if not scheme.startswith(FOREIGN_SCHEMES) and re.fullmatch(r"\d{6}(\d{3}){0,2}", value)
    ]
