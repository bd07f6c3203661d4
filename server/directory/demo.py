"""A realistic demo city in Chinese (临江市, fictional codes 3399xx), generated the same way
every time: 2 districts, 4 towns, 12 villages/communities, 30 grids, 200 places (dyke
sections along 清溪河 and 白沙江, reservoirs, geological-hazard points...), 60 people."""

from __future__ import annotations

import random

from server.directory import admin
from server.directory.kinds import PlaceKind, RiskGrade
from server.directory.records import AreaRecord, PlaceRecord

DEMO_PASSWORD = "gridwatch2026"  # noqa: S105 - printed for the demo on purpose
CITY = ("339900", "临江市")
#: (code, name, towns: (code, name, villages: (code suffix, name, grid count)))
DISTRICTS = [
    (
        "339901",
        "江北区",
        [
            (
                "001",
                "城北街道",
                [("001", "望江社区", 3), ("002", "新河社区", 2), ("003", "柳岸社区", 3)],
            ),
            ("002", "清溪镇", [("001", "清溪村", 2), ("002", "石桥村", 3), ("003", "下湾村", 2)]),
        ],
    ),
    (
        "339922",
        "江南县",
        [
            ("001", "白沙镇", [("001", "白沙村", 3), ("002", "沙洲村", 2), ("003", "江口村", 3)]),
            ("002", "桃源乡", [("001", "桃源村", 2), ("002", "上坪村", 3), ("003", "龙潭村", 2)]),
        ],
    ),
]
BOX = (29.90, 30.20, 119.80, 120.30)  # south, north, west, east
RIVERS = {"清溪镇": "清溪河", "白沙镇": "白沙江"}
RESERVOIRS = {"石桥村": "石桥水库", "上坪村": "上坪水库", "龙潭村": "龙潭水库"}
GEOHAZARD_VILLAGES = ("桃源村", "上坪村", "龙潭村")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
    "史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅志文斌辉晨浩宇欣怡子轩梓涵一诺"
#: responsible departments (行业主管部门) and the sectors (top hazard categories) they
#: regulate: (area code, name, sectors)
DEPARTMENTS = [
    ("339900", "临江市住房和城乡建设局", ["construction", "gas"]),
    ("339900", "临江市交通运输局", ["traffic"]),
    ("339900", "临江市市场监督管理局", ["industry", "fireworks"]),
    ("339900", "临江市水利局", ["flood"]),
    ("339900", "临江市自然资源和规划局", ["geohazard"]),
    ("339922", "江南县住房和城乡建设局", ["construction", "gas"]),
]
#: places of the kinds stations added later: (village code, name, kind, grade, flood post)
MORE_PLACES = [
    ("339901002002", "石桥水库溢洪闸", "sluice", "2", "flood_technical"),
    ("339901002003", "下湾排涝泵站", "pumping_station", "2", "flood_guarantor"),
    ("339922002001", "桃源村后山塘", "pond", "1", "flood_guarantor"),
    ("339901001001", "望江社区老旧危房", "dangerous_house", "1", ""),
    ("339901001001", "望江小吃店", "nine_small", "3", ""),
    ("339901001002", "新河农贸市场", "crowded", "2", ""),
    ("339901001003", "柳岸污水井", "confined_space", "2", ""),
]
#: posts of the village and town roles: (area code, post kind, title)
VILLAGE_POSTS = [
    ("339901001001", "grid_leader", "望江社区网格长"),
    ("339901002001", "village_committee", "清溪村两委委员"),
    ("339922002001", "disaster_informant", "桃源村灾害信息员"),
    ("339901002", "safety_officer", "清溪镇水利员"),
]
GENERIC = [
    (PlaceKind.enterprise, ["机械厂", "纺织公司", "化工仓库", "食品厂", "家具厂"]),
    (PlaceKind.shop, ["便利店", "五金店", "餐馆", "农资店", "电动车维修店"]),
    (PlaceKind.residential, ["1号楼", "2号楼", "老旧小区3幢", "出租房"]),
    (PlaceKind.construction, ["安置房工地", "道路改造工地"]),
    (PlaceKind.school, ["小学", "幼儿园"]),
    (PlaceKind.other, ["农贸市场", "文化礼堂"]),
]


def _split(box: tuple[float, float, float, float], n: int, i: int, by_lat: bool):
    s, no, w, e = box
    if by_lat:
        step = (no - s) / n
        return (s + i * step, s + (i + 1) * step, w, e)
    step = (e - w) / n
    return (s, no, w + i * step, w + (i + 1) * step)


def _polygon(box: tuple[float, float, float, float]) -> dict:
    s, n, w, e = box
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    return {"type": "Polygon", "coordinates": [[[round(x, 5), round(y, 5)] for x, y in ring]]}


def _center(box: tuple[float, float, float, float]) -> tuple[float, float]:
    return (round((box[0] + box[1]) / 2, 5), round((box[2] + box[3]) / 2, 5))


class _Builder:
    def __init__(self, password_hash: str) -> None:
        self.rng = random.Random(20260721)  # noqa: S311 - demo data, not secrets
        self.password_hash = password_hash
        self.mobile = 13900000000
        self.used_names: set[str] = set()

    def name(self) -> str:
        while True:
            n = self.rng.choice(SURNAMES) + "".join(self.rng.sample(GIVEN, self.rng.randint(1, 2)))
            if n not in self.used_names:
                self.used_names.add(n)
                return n

    async def area(self, code, name, level, parent, box) -> AreaRecord:
        return await admin.create_area(
            code=code,
            name=name,
            level=level,
            parent=parent,
            polygon=_polygon(box),
            center=_center(box),
        )

    async def place(self, code, name, kind, grid, box, grade=None) -> PlaceRecord:
        s, n, w, e = box
        position = (round(self.rng.uniform(s, n), 6), round(self.rng.uniform(w, e), 6))
        grade = grade or self.rng.choice(
            [RiskGrade.significant, RiskGrade.general, RiskGrade.general, RiskGrade.low]
        )
        return await admin.create_place(
            code=code,
            name=name,
            kind=kind,
            grid=grid,
            address=f"{grid.name}附近",
            position=position,
            risk_grade=grade,
        )

    async def person(
        self, kind, *, area=None, place=None, superior=None, title="", department_id=None
    ):
        self.mobile += 1
        person = await admin.create_person(
            name=self.name(), mobile=str(self.mobile), password_hash=self.password_hash
        )
        post = await admin.add_post(
            person_id=person.id,
            kind=kind,
            area=area,
            place=place,
            superior_id=superior,
            title=title,
            department_id=department_id,
        )
        return post
