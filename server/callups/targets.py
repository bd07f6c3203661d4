"""Who a call-up reaches, as the call-up chooses it: the post kinds it targets by default and
those an issuer may choose (the people holding them are found by `directory.holders`)."""

from __future__ import annotations

from server.directory.kinds import FLOOD_POSTS, PostKind

#: what a call-up targets unless the issuer chooses otherwise
DEFAULT_KINDS = tuple(sorted(k.value for k in FLOOD_POSTS))
CHOOSABLE = (
    PostKind.flood_admin,
    PostKind.flood_technical,
    PostKind.flood_guarantor,
    PostKind.grid_member,
    PostKind.station_staff,
)


def levels_of(path: str) -> tuple[str, str]:
    """The town and village paths above (or at) an area path:
    /city/district/town/village/grid/ -> (/city/district/town/, /city/district/town/village/)."""
    parts = path.strip("/").split("/")
    town = "/" + "/".join(parts[:3]) + "/" if len(parts) >= 3 else ""
    village = "/" + "/".join(parts[:4]) + "/" if len(parts) >= 4 else ""
    return town, village
