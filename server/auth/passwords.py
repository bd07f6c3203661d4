"""Password hashing with argon2, off the event loop (a hash takes tens of milliseconds)."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
#: verified against when the mobile number is unknown, so both paths take the same time
_DUMMY_HASH = _hasher.hash("not-a-real-password")

#: OWASP ASVS 4.0 level 2 (2.1.1, 2.1.2, 2.1.7): 12 to 128 characters, common ones refused
MIN_LENGTH, MAX_LENGTH = 12, 128
COMMON = Path(__file__).with_name("common_passwords.txt")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    lines = COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str) -> str | None:
    """An English message id when a new password is too weak, else None."""
    from server.i18n import N_

    if len(password) < MIN_LENGTH:
        return N_("A password has at least 12 characters.")
    if len(password) > MAX_LENGTH:
        return N_("A password has at most 128 characters.")
    if password.lower() in _common() or len(set(password.lower())) < 5:
        return N_("This password is too easy to guess.")
    return None
