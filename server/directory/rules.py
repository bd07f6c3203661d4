"""Pure validation rules for directory data, shared by the importer, the back office and the demo.

Each check returns None when the value is fine, else an (English) message id with params.
"""

from __future__ import annotations

import re

from server.directory.kinds import Level, PlaceKind, PostKind, RiskGrade
from server.i18n import N_

Problem = tuple[str, dict[str, object]]

_CODE_DIGITS = {Level.city: 6, Level.district: 6, Level.town: 9, Level.village: 12}
_GRID_CODE = re.compile(r"^(\d{12})-([0-9A-Za-z]{1,6})$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PLACE_CODE = re.compile(r"^[0-9A-Za-z-]{1,40}$")

#: what people type in spreadsheets, in Chinese or English
LEVEL_ALIASES = {
    **{level.value: level for level in Level},
    "市": Level.city,
    "区": Level.district,
    "县": Level.district,
    "区县": Level.district,
    "镇": Level.town,
    "乡": Level.town,
    "街道": Level.town,
    "乡镇": Level.town,
    "村": Level.village,
    "社区": Level.village,
    "村社区": Level.village,
    "网格": Level.grid,
}
PLACE_ALIASES = {
    **{kind.value: kind for kind in PlaceKind},
    "企业": PlaceKind.enterprise,
    "商铺": PlaceKind.shop,
    "店铺": PlaceKind.shop,
    "住宅楼": PlaceKind.residential,
    "居民楼": PlaceKind.residential,
    "建筑工地": PlaceKind.construction,
    "工地": PlaceKind.construction,
    "堤段": PlaceKind.embankment,
    "堤防": PlaceKind.embankment,
    "水库": PlaceKind.reservoir,
    "地灾点": PlaceKind.geohazard,
    "地质灾害点": PlaceKind.geohazard,
    "涵闸": PlaceKind.sluice,
    "水闸": PlaceKind.sluice,
    "泵站": PlaceKind.pumping_station,
    "排涝站": PlaceKind.pumping_station,
    "山塘": PlaceKind.pond,
    "危房": PlaceKind.dangerous_house,
    "九小场所": PlaceKind.nine_small,
    "人员密集场所": PlaceKind.crowded,
    "有限空间": PlaceKind.confined_space,
    "学校": PlaceKind.school,
    "其他": PlaceKind.other,
}
POST_ALIASES = {
    **{kind.value: kind for kind in PostKind},
    "网格员": PostKind.grid_member,
    "行政责任人": PostKind.flood_admin,
    "技术责任人": PostKind.flood_technical,
    "包保责任人": PostKind.flood_guarantor,
    "站所工作人员": PostKind.station_staff,
    "应消站": PostKind.station_staff,
    "局机关工作人员": PostKind.bureau_staff,
    "值班员": PostKind.duty_officer,
    "网格长": PostKind.grid_leader,
    "村两委": PostKind.village_committee,
    "社区两委": PostKind.village_committee,
    "两委成员": PostKind.village_committee,
    "灾害信息员": PostKind.disaster_informant,
    "安全员": PostKind.safety_officer,
    "水利员": PostKind.safety_officer,
    "部门工作人员": PostKind.department_staff,
    "结对包保人": PostKind.household_keeper,
    "转移包保人": PostKind.household_keeper,
    "管理员": PostKind.admin,
}


def parse_choice(
    value: str, aliases: dict[str, object], unknown: str
) -> tuple[object, Problem | None]:
    """The choice a spreadsheet value names; `unknown` is the message (with %(value)s)."""
    choice = aliases.get(value.strip())
    if choice is None:
        return None, (unknown, {"value": value})
    return choice, None


UNKNOWN_LEVEL = N_("Unknown area level: %(value)s")
UNKNOWN_PLACE_KIND = N_("Unknown kind of place: %(value)s")
UNKNOWN_POST = N_("Unknown post: %(value)s")


def check_area_code(code: str, level: Level, parent_code: str | None) -> Problem | None:
    if level is Level.grid:
        match = _GRID_CODE.match(code)
        if not match:
            return N_(
                "A grid code is its village's 12-digit code, a dash and a number: %(code)s"
            ), {"code": code}
        if parent_code is not None and match.group(1) != parent_code:
            return N_("Grid %(code)s does not belong to village %(parent)s"), {
                "code": code,
                "parent": parent_code,
            }
        return None
    digits = _CODE_DIGITS[level]
    if not (code.isdigit() and len(code) == digits):
        return N_("A %(level)s code has %(digits)s digits: %(code)s"), {
            "level": level.label,
            "digits": digits,
            "code": code,
        }
    if parent_code is None:
        return None
    keep = {Level.district: 4, Level.town: 6, Level.village: 9}.get(level, 0)
    if keep and code[:keep] != parent_code[:keep]:
        return N_("Code %(code)s does not lie under %(parent)s"), {
            "code": code,
            "parent": parent_code,
        }
    return None


def check_parent_level(level: Level, parent_level: Level | None) -> Problem | None:
    if level.parent != parent_level:
        if parent_level is None:
            return N_("A %(level)s needs a parent area"), {"level": level.label}
        return N_("A %(level)s cannot lie under a %(parent)s"), {
            "level": level.label,
            "parent": parent_level.label,
        }
    return None


def check_place_code(code: str) -> Problem | None:
    if not _PLACE_CODE.match(code):
        return N_("A place code is up to 40 letters, digits or dashes: %(code)s"), {"code": code}
    return None


def check_mobile(mobile: str) -> Problem | None:
    if not _MOBILE.match(mobile):
        return N_("Not a mainland mobile number (11 digits starting with 1): %(mobile)s"), {
            "mobile": mobile
        }
    return None


def check_name(name: str, limit: int = 50) -> Problem | None:
    if not name.strip():
        return N_("The name is missing"), {}
    if len(name) > limit:
        return N_("The name is longer than %(limit)s characters"), {"limit": limit}
    return None


def parse_coordinates(lat: str, lng: str) -> tuple[tuple[float, float] | None, Problem | None]:
    """Empty both: no position. Otherwise WGS-84 degrees within China's rough bounds."""
    if not lat.strip() and not lng.strip():
        return None, None
    try:
        la, lo = float(lat), float(lng)
    except ValueError:
        return None, (
            N_("Latitude and longitude must be numbers: %(lat)s, %(lng)s"),
            {"lat": lat, "lng": lng},
        )
    if not (3 <= la <= 54 and 73 <= lo <= 136):
        return None, (N_("Position %(lat)s, %(lng)s lies outside China"), {"lat": lat, "lng": lng})
    return (la, lo), None


#: what a spreadsheet or a form may call a grade; letters are refused: A is the highest in
#: some cities' tables and the lowest in others (Xiangyang grades "由低到高 A、B、C、D")
GRADE_ALIASES = {
    **{grade.value: grade for grade in RiskGrade},
    **{grade.name: grade for grade in RiskGrade},
    **{
        word: grade
        for grade, words in {
            RiskGrade.major: ("重大", "重大风险", "红", "红色", "一级"),
            RiskGrade.significant: ("较大", "较大风险", "橙", "橙色", "二级"),
            RiskGrade.general: ("一般", "一般风险", "黄", "黄色", "三级"),
            RiskGrade.low: ("低", "低风险", "蓝", "蓝色", "四级"),
        }.items()
        for word in words
    },
}


def parse_risk_grade(value: str) -> tuple[RiskGrade, Problem | None]:
    cleaned = value.strip().lower() or RiskGrade.general.value
    grade = GRADE_ALIASES.get(cleaned)
    if grade is None:
        return RiskGrade.general, (
            N_("Risk grade must be 重大, 较大, 一般 or 低 (red, orange, yellow, blue): %(value)s"),
            {"value": value},
        )
    return grade, None


def check_post(kind: PostKind, level: Level | None, on_place: bool) -> Problem | None:
    if on_place:
        if not kind.on_place:
            return N_("Only flood-duty posts can be held for a place"), {}
        return None
    if level is None:
        return N_("A post needs an area or a place"), {}
    if level not in kind.levels:
        return N_("A %(post)s post cannot be held at a %(level)s"), {
            "post": kind.label,
            "level": level.label,
        }
    return None
