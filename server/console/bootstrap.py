"""The first administrator: `gridwatch createadmin` on an empty or a loaded directory."""

from __future__ import annotations

from server import db
from server.auth import service as auth
from server.auth.passwords import hash_password, password_problem
from server.directory import admin
from server.directory.kinds import Level, PostKind
from server.directory.records import AreaRecord
from server.directory.service import person_by_mobile, posts_of, top_areas
from server.errors import DomainError
from server.i18n import gettext


async def create_admin(mobile: str, name: str, password: str) -> str:
    """Create (or promote) an admin for the city; returns what to print."""
    problem = password_problem(password)
    if problem:
        raise SystemExit(gettext(problem))
    cities = [a for a in await top_areas() if a.level is Level.city]
    if len(cities) != 1:
        raise SystemExit(
            "Import the city first: gridwatch import areas FILE.csv "
            f"({len(cities)} cities registered)."
        )
    city: AreaRecord = cities[0]
    hashed = await hash_password(password)
    try:
        async with db.current().write():
            person = await person_by_mobile(mobile)
            if person is None:
                person = await admin.create_person(name=name, mobile=mobile, password_hash=hashed)
            else:
                await admin.set_password_hash(person.id, hashed)
            if not any(p.kind is PostKind.admin for p in await posts_of(person.id)):
                await admin.add_post(person_id=person.id, kind=PostKind.admin, area=city)
    except DomainError as exc:
        raise SystemExit(gettext(exc.message, **exc.params)) from exc
    await auth.revoke_all(person.id, actor_id=None)  # a new password signs out the old holders
    return f"{name} ({mobile}) is an administrator of {city.name}."
