"""Tracking codes: four groups of five Crockford base32 characters (100 random bits), easy
to read out over the phone and to type; typing slips (O for 0, I or L for 1, lower case,
missing or extra hyphens and spaces) are forgiven."""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS, GROUP = 4, 5
#: bits of entropy in a code (the issue asks for at least 80)
BITS = GROUPS * GROUP * 5
_SLIPS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SHAPE = re.compile(rf"^[{ALPHABET}]{{{GROUPS * GROUP}}}$")


def new_code() -> str:
    """A fresh code like 7K2QF-M9X4T-0RZC8-HW3NB."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP))
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))


def normalize(typed: str) -> str | None:
    """The canonical form of what someone typed, or None when it cannot be a code."""
    cleaned = re.sub(r"[\s\-_.]", "", typed.upper()).translate(_SLIPS)
    if not _SHAPE.match(cleaned):
        return None
    return "-".join(cleaned[i : i + GROUP] for i in range(0, len(cleaned), GROUP))
