"""The cast of the write-side matrices: a demo person standing in each relation to a record
in GRID_MEMBER's grid (its grid, another grid, another town, another county, up the chain).
Each is signed in, as a Viewer and by mobile number for the pages."""

from __future__ import annotations

from server.auth.service import Viewer
from server.directory.kinds import PostKind
from server.directory.tables import Post
from tests.integration.hazards.people import viewer

IN_GRID, OTHER_GRID, OTHER_TOWN, OTHER_COUNTY = "grid", "other_grid", "other_town", "county"
RELATIONS = {
    "grid": (PostKind.grid_member, IN_GRID),
    "grid_other_grid": (PostKind.grid_member, OTHER_GRID),
    "grid_other_town": (PostKind.grid_member, OTHER_TOWN),
    "grid_other_county": (PostKind.grid_member, OTHER_COUNTY),
    "station": (PostKind.station_staff, "town"),
    "station_other_town": (PostKind.station_staff, OTHER_TOWN),
    "district_bureau": (PostKind.bureau_staff, "district"),
    "district_bureau_other": (PostKind.bureau_staff, OTHER_COUNTY),
    "city_bureau": (PostKind.bureau_staff, "city"),
    "admin": (PostKind.admin, "city"),
    "duty_officer": (PostKind.duty_officer, "city"),
    "flood_admin": (PostKind.flood_admin, "town"),
    "flood_admin_other_town": (PostKind.flood_admin, OTHER_TOWN),
}
UP_THE_CHAIN = frozenset({"station", "district_bureau", "city_bureau", "admin"})


def town_of(path: str) -> str:
    return "/" + "/".join(path.strip("/").split("/")[:3]) + "/"


def county_of(path: str) -> str:
    return "/" + "/".join(path.strip("/").split("/")[:2]) + "/"


async def mobiles_for(grid_path: str) -> dict[str, str]:
    """The mobile number of a demo person for every relation to `grid_path`."""
    rows = await Post.select(Post.kind, Post.area_path, Post.person.mobile.as_alias("mobile"))
    rows = sorted((r for r in rows if r["area_path"]), key=lambda r: r["mobile"])
    town, county = town_of(grid_path), county_of(grid_path)
    where = {
        IN_GRID: lambda p: p == grid_path,
        OTHER_GRID: lambda p: p != grid_path and p.startswith(town),
        OTHER_TOWN: lambda p: p.startswith(county) and not p.startswith(town),
        OTHER_COUNTY: lambda p: p.count("/") > 2 and not p.startswith(county),
        "town": lambda p: p == town,
        "district": lambda p: p == county,
        "city": lambda p: p.count("/") == 2,
    }
    found = {}
    for name, (kind, relation) in RELATIONS.items():
        test = where[relation]
        found[name] = next(
            r["mobile"] for r in rows if r["kind"] == kind.value and test(r["area_path"])
        )
    return found


async def cast_for(grid_path: str) -> dict[str, Viewer]:
    return {name: await viewer(m) for name, m in (await mobiles_for(grid_path)).items()}
