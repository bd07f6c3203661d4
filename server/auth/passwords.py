"""Password hashing with argon2, off the event loop (a hash takes tens of milliseconds)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
#: verified against when the mobile number is unknown, so both paths take the same time
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_LENGTH = 8


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def password_problem(password: str) -> str | None:
    """An English message id when a new password is too weak, else None."""
    from server.i18n import N_

    if len(password) < MIN_LENGTH:
        return N_("A password has at least 8 characters.")
    if password.isdigit() and len(set(password)) <= 2:
        return N_("This password is too easy to guess.")
    return None
