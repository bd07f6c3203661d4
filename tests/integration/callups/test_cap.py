"""CAP import: every fixture of ../shared/fixtures/cap behaves as its README says, and our
Chinese ones (tests/fixtures/cap) create, update, cancel, match areas and mark drills."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.callups import cap
from server.callups.kinds import HazardType, WarningLevel, WarningState
from server.callups.targets import DEFAULT_KINDS
from server.callups.warnings import import_cap, load
from server.directory.holders import count_holders as count
from server.directory.service import area_by_code, code_forms, unknown_codes
from server.settings import ROOT
from tests.integration.callups.people import OURS_CAP

SHARED = ROOT.parent / "shared" / "fixtures" / "cap"
OURS = OURS_CAP
IMPORTED = ["thunderstorm.cap", "weather.cap", "earthquake.cap", "canada.cap"]
REFUSED = {
    "invalid.cap": "missing the required <scope>",
    "no_optional_fields.cap": "no <info> block",
    "xee.cap": "DTD",
}

#: what the XML parser touched while reading xee.cap (a gated audit hook: hooks stay forever)
_watching: list[tuple[str, tuple]] = []
_watch = {"on": False}
WATCHED = ("open", "socket.", "urllib.", "subprocess.", "os.system", "http.client.")


def _audit(event: str, args: tuple) -> None:
    if _watch["on"] and event.startswith(WATCHED):
        _watching.append((event, args))


sys.addaudithook(_audit)


def read(folder: Path, name: str) -> bytes:
    return (folder / name).read_bytes()


def test_xee_is_refused_touching_no_file_and_no_network() -> None:
    data = read(SHARED, "xee.cap")
    _watch["on"] = True
    try:
        with pytest.raises(cap.CapRefused) as refused:
            cap.parse(data)
    finally:
        _watch["on"] = False
    assert "DTD" in str(refused.value)
    assert _watching == []  # no /etc/passwd, no http://localhost:8080, no XInclude
    assert "&xxe;" in data.decode() and "root:" not in str(refused.value)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_files_say_why(name: str) -> None:
    with pytest.raises(cap.CapRefused) as refused:
        cap.parse(read(SHARED, name))
    assert REFUSED[name] in str(refused.value)
    assert "\n" not in str(refused.value)  # one line


def test_the_foreign_alerts_parse_with_their_areas() -> None:
    thunder = cap.parse(read(SHARED, "thunderstorm.cap"))
    assert thunder.version == "1.2" and thunder.main.level is WarningLevel.orange
    assert thunder.main.areas[0].polygons[0][0] == (38.47, -120.14)
    assert cap.admin_codes(thunder.main.areas[0]) == []  # SAME codes are not ours
    weather = cap.parse(read(SHARED, "weather.cap"))
    assert weather.version == "1.1" and weather.main.hazard_type is HazardType.flash_flood
    quake = cap.parse(read(SHARED, "earthquake.cap"))
    assert quake.main.areas[0].circles == [(-16.053, -173.274, 0.0)]
    canada = cap.parse(read(SHARED, "canada.cap"))
    assert [i.language for i in canada.infos] == ["en-CA", "fr-CA"]
    assert canada.msg_type == "Update" and len(canada.references) == 2


@pytest.mark.db
@pytest.mark.parametrize("name", IMPORTED)
async def test_foreign_alerts_import_with_no_targets(demo, name: str) -> None:
    done = await import_cap(read(SHARED, name))
    assert done.action in ("created", "updated")
    assert done.warning.area_paths == [] and done.targets == 0
    if name == "canada.cap":
        assert [t["language"] for t in done.warning.texts] == ["en-CA", "fr-CA"]
        assert done.unknown_references  # refers to alerts we never had
    again = await import_cap(read(SHARED, name))
    assert again.action == "already" and again.warning.id == done.warning.id


@pytest.mark.db
async def test_chinese_alert_update_and_cancel(demo) -> None:
    county = await area_by_code("339922")
    red = await import_cap(read(OURS, "zh_rainstorm_red.cap"))
    w = red.warning
    assert (w.level, w.hazard_type) == (WarningLevel.red, HazardType.rainstorm)
    assert w.state is WarningState.expired  # in force until 2026-07-16 08:00, shown as past
    assert w.area_paths == [county.path] and w.area_codes == ["339922"]
    assert red.targets == await count([county.path], list(DEFAULT_KINDS)) > 0
    assert "白沙镇" in w.description

    update = await import_cap(read(OURS, "zh_rainstorm_update.cap"))
    assert update.action == "updated" and update.warning.level is WarningLevel.orange
    assert update.warning.supersedes == w.id
    old = await load(w.id)
    assert old.state is WarningState.updated and old.superseded_by == update.warning.id

    cancel = await import_cap(read(OURS, "zh_rainstorm_cancel.cap"))
    assert cancel.action == "cancelled"
    assert (await load(update.warning.id)).state is WarningState.cancelled
    assert cancel.warning.area_paths == [county.path]  # what it cancels says where


@pytest.mark.db
async def test_polygon_and_circle_reach_our_towns(demo) -> None:
    """Shapes reach areas by their boundaries (who is called: test_cap_targeting)."""
    qingxi, taoyuan = await area_by_code("339901002"), await area_by_code("339922002")
    flood = await import_cap(read(OURS, "zh_flood_polygon.cap"))
    assert flood.warning.area_paths == []  # no codes: nothing named whole
    assert qingxi.path in flood.warning.reach_areas
    assert taoyuan.path not in flood.warning.reach_areas
    assert flood.warning.headline == "清溪河洪水橙色预警"  # the Chinese block comes first
    assert [t["language"] for t in flood.warning.texts] == ["zh-CN", "en-US"]
    assert flood.warning.hazard_type is HazardType.flood
    drill = await import_cap(read(OURS, "zh_geohazard_drill.cap"))
    assert drill.warning.drill and drill.warning.status == "Exercise"
    assert taoyuan.path in drill.warning.reach_areas
    assert qingxi.path not in drill.warning.reach_areas
    assert drill.warning.level is WarningLevel.yellow


RING = "29.91,120.06 29.91,120.29 30.04,120.29 30.04,120.06 29.91,120.06"
#: what google/cap-library refuses too: a shape off the Earth or unclosed or crossing itself,
#: a reference that is not a triple or that names the alert itself
BROKEN = {
    "unclosed": (RING, "29.91,120.06 29.91,120.29 30.04,120.29 30.04,120.06", "not closed"),
    "bow tie": (
        RING,
        "29.91,120.06 30.04,120.29 29.91,120.29 30.04,120.06 29.91,120.06",
        "crosses itself",
    ),
    "off the Earth": (RING, "95.0,120.06 29.91,120.29 30.04,120.29 95.0,120.06", "not on Earth"),
    "a circle off the Earth": (
        "<polygon>" + RING,
        "<circle>30.1,200.5 3</circle><polygon>" + RING,
        "not on Earth",
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_shapes_are_refused(name: str) -> None:
    good, bad, reason = BROKEN[name]
    data = read(OURS, "zh_flood_polygon.cap").decode().replace(good, bad, 1)
    with pytest.raises(cap.CapRefused) as refused:
        cap.parse(data.encode())
    assert reason in str(refused.value)


def test_references_are_triples_and_never_the_alert_itself() -> None:
    update = read(OURS, "zh_rainstorm_update.cap").decode()
    named = "339922000000000,33992241600000_20260715080000,2026-07-15T08:00:00+08:00"
    itself = named.replace("080000,", "110000,")
    for bad, reason in (
        (itself, "refers to itself"),
        ("339922000000000,33992241600000_20260715080000", "not sender,identifier,sent"),
        (named.replace("2026-07-15T08", "yesterday"), "not a date-time"),
    ):
        with pytest.raises(cap.CapRefused) as refused:
            cap.parse(update.replace(named, bad).encode())
        assert reason in str(refused.value), bad


async def test_chinese_encodings_declared_are_read_and_undeclared_refused(demo) -> None:
    """GB2312, GBK and GB18030 as the prolog declares them (expat reads none of them); a
    file that is not UTF-8 and says nothing is refused with a reason, never a traceback."""
    data = read(OURS, "zh_geohazard_gb2312.cap")
    headline = "江南县发布地质灾害气象风险橙色预警"
    assert headline.encode("gb2312") in data  # really GB2312 bytes
    done = await import_cap(data)
    assert done.warning.headline == headline
    assert done.warning.level is WarningLevel.orange
    assert done.warning.hazard_type is HazardType.geohazard
    assert done.warning.area_paths == [(await area_by_code("339922002")).path]
    for name in ("GBK", "GB18030", "gb2312", "cp936"):
        said = data.replace(b'encoding="GB2312"', f"encoding='{name}'".encode())
        assert cap.parse(said).main.headline == headline
    as_utf8 = data.decode("gb2312").replace("GB2312", "UTF-8").encode("utf-8")
    assert cap.parse(as_utf8).main.headline == headline
    refusals = {
        data.replace(b' encoding="GB2312"', b""): "does not say its encoding",
        data.replace(b"GB2312", b"UTF-8"): "says it is UTF-8",
        data.replace(b"GB2312", b"X-NOPE"): "Unknown encoding",
        data.replace(b"GB2312", b"ASCII"): "not valid ASCII",
    }
    for bad, reason in refusals.items():
        with pytest.raises(cap.CapRefused) as refused:
            cap.parse(bad)
        assert reason in str(refused.value)


async def test_twelve_digit_codes_match_and_unknown_ones_are_named(demo) -> None:
    """The statistical code pads a town to 12 digits (339922002000 is 桃源乡 339922002):
    both forms match; a code the city does not know is named on the warning's page."""
    qingxi, taoyuan = await area_by_code("339901002"), await area_by_code("339922002")
    done = await import_cap(read(OURS, "zh_landslide_12digit.cap"))
    assert sorted(done.warning.area_paths) == sorted([qingxi.path, taoyuan.path])
    assert done.targets == await count([qingxi.path, taoyuan.path], list(DEFAULT_KINDS)) > 0
    assert await unknown_codes(done.warning.area_codes) == ["339977001000"]
    assert code_forms("339922000000") == ["339922", "339922000", "339922000000"]
    assert code_forms("339922002001") == ["339922002001"]  # a village: already its own


def test_the_command_line_exit_codes(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cap.sqlite3'}"}
    gridwatch = [sys.executable, "-m", "server.cli"]
    subprocess.run([*gridwatch, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([*gridwatch, "demo"], env=env, check=True, capture_output=True)

    def run(path: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*gridwatch, "cap", "import", str(path)], env=env, capture_output=True, text=True
        )

    ok = run(OURS / "zh_rainstorm_red.cap")
    assert ok.returncode == 0, ok.stderr
    assert "created" in ok.stdout and "call-up targets: " in ok.stdout
    foreign = run(SHARED / "thunderstorm.cap")
    assert foreign.returncode == 0 and "0 call-up targets" in foreign.stdout
    for name, reason in REFUSED.items():
        bad = run(SHARED / name)
        assert bad.returncode == 2
        lines = [line for line in bad.stderr.splitlines() if line.startswith("refused:")]
        assert len(lines) == 1 and reason in lines[0]
    undeclared = tmp_path / "gbk.cap"
    undeclared.write_bytes(
        read(OURS, "zh_geohazard_gb2312.cap").replace(b' encoding="GB2312"', b"")
    )
    said = run(undeclared)
    assert said.returncode == 2 and "Traceback" not in said.stderr
    assert "\nrefused: The file is not UTF-8" in said.stderr
    missing = run(tmp_path / "nope.cap")
    assert missing.returncode == 2 and "cannot read" in missing.stderr
