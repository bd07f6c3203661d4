"""Reading spreadsheets saved as CSV in China: UTF-8 with or without BOM, or GB18030/GBK
(what Excel writes on a Chinese Windows), with Chinese or English column names."""

from __future__ import annotations

import csv
import io

#: column names as people write them, in Chinese or English, mapped to ours
HEADER_ALIASES = {
    "编码": "code",
    "代码": "code",
    "名称": "name",
    "级别": "level",
    "层级": "level",
    "上级编码": "parent_code",
    "上级代码": "parent_code",
    "中心纬度": "center_lat",
    "中心经度": "center_lng",
    "边界": "polygon",
    "范围": "polygon",
    "类型": "kind",
    "类别": "kind",
    "网格编码": "grid_code",
    "地址": "address",
    "纬度": "lat",
    "经度": "lng",
    "风险等级": "risk_grade",
    "姓名": "name",
    "手机号": "mobile",
    "手机": "mobile",
    "手机号码": "mobile",
    "岗位": "post",
    "区域编码": "area_code",
    "场所编码": "place_code",
    "上级手机号": "superior_mobile",
    "职务": "title",
    "密码": "password",
    "初始密码": "password",
    # evacuation plans (server/evacuation/plan_import.py)
    "安置点编码": "shelter_codes",
    "安置场所编码": "shelter_codes",
    "容量": "capacity",
    "可容纳人数": "capacity",
    "设施": "facilities",
    "安全鉴定日期": "appraised_on",
    "鉴定日期": "appraised_on",
    "管理员手机号": "manager_mobile",
    "负责人手机号": "manager_mobile",
    "户编码": "code",
    "危险区编码": "zone_code",
    "户主": "head_name",
    "户主姓名": "head_name",
    "人数": "people",
    "户籍人数": "people",
    "包保人手机号": "keeper_mobile",
    "特殊人员": "special",
    "特殊群体": "special",
    "备注": "note",
}


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030"), "gb18030"


def read_rows(data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]], str]:
    """Header names, (line number, row) pairs with values stripped, and the encoding."""
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], [], encoding
    names = [HEADER_ALIASES.get(h.strip(), h.strip().lower()) for h in header]
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue  # blank lines Excel leaves at the end
        row = {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(names)}
        rows.append((reader.line_num, row))
    return names, rows, encoding
