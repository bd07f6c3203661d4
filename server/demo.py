"""Demo data, loaded idempotently: the demo city, and the demo logins to print."""

from __future__ import annotations

from server.auth.passwords import hash_password
from server.directory.demo import DEMO_PASSWORD
from server.directory.demo_city import load_demo_city
from server.directory.kinds import PostKind
from server.directory.service import first_holders
from server.evacuation.demo import load_plans
from server.settings import Settings

#: one demo login per post kind worth trying
LOGIN_KINDS = [
    PostKind.grid_member,
    PostKind.station_staff,
    PostKind.flood_guarantor,
    PostKind.duty_officer,
    PostKind.bureau_staff,
    PostKind.admin,
]


async def load_demo_data(password_hash: str) -> bool:
    """The demo city with what each domain adds to it; True when it was created now."""
    return await load_demo_city(password_hash, more=[load_plans])


async def load_demo(settings: Settings) -> list[str]:
    """Load what is missing and return the lines to print (URL and demo logins)."""
    created = await load_demo_data(await hash_password(DEMO_PASSWORD))
    lines = [
        f"Open {settings.base_url}/ on a phone or a desktop browser.",
        "Demo city 临江市: " + ("loaded." if created else "already there."),
        f"Demo logins (password {DEMO_PASSWORD}):",
    ]
    for kind, person, where in await first_holders(LOGIN_KINDS):
        lines.append(f"  {kind.value:<16} {person.mobile}  {person.name} · {where}")
    return lines
