"""The category tree seeded from the field's own lists; staff add to it (HazardCategory)."""

from __future__ import annotations

#: (code, Chinese name, English name, children)
SEED: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    (
        "fire",
        "消防",
        "Fire safety",
        [
            ("fire.ebike", "电动自行车飞线充电", "E-bike charged by a trailing cable"),
            ("fire.passage", "消防通道堵塞", "Fire lane blocked"),
            ("fire.exit", "安全出口锁闭", "Emergency exit locked"),
            ("fire.equipment", "消防设施损坏", "Fire equipment broken"),
            ("fire.wiring", "私拉乱接电线", "Improvised wiring"),
        ],
    ),
    (
        "gas",
        "燃气",
        "Gas",
        [
            ("gas.leak", "燃气泄漏", "Gas leak"),
            ("gas.hose", "软管老化", "Aged gas hose"),
            ("gas.alarm", "未装报警器", "No gas alarm"),
        ],
    ),
    ("chemicals", "危险化学品", "Hazardous chemicals", []),
    (
        "construction",
        "建筑施工",
        "Construction",
        [
            ("construction.scaffold", "脚手架不牢", "Unsafe scaffolding"),
            ("construction.edge", "临边防护缺失", "No edge protection"),
        ],
    ),
    ("confined", "有限空间", "Confined spaces", []),
    ("fireworks", "烟花爆竹", "Fireworks", []),
    ("traffic", "道路交通", "Road traffic", []),
    ("industry", "工贸", "Industry and trade", []),
    (
        "flood",
        "防汛",
        "Flood",
        [
            ("flood.piping", "管涌", "Piping"),
            ("flood.seepage", "渗漏", "Seepage"),
            ("flood.crack", "堤防裂缝", "Embankment crack"),
            ("flood.slump", "滑坡塌陷", "Bank slump"),
            ("flood.overtopping", "漫溢", "Overtopping"),
        ],
    ),
    (
        "geohazard",
        "地质灾害",
        "Geological hazards",
        [
            ("geohazard.landslide", "滑坡", "Landslide"),
            ("geohazard.rockfall", "崩塌落石", "Rockfall"),
            ("geohazard.debris", "泥石流", "Debris flow"),
        ],
    ),
    (
        "forest",
        "森林防火",
        "Forest fire",
        [("forest.open_fire", "野外用火", "Open fire in the field")],
    ),
    ("other", "其他", "Other", []),
]
