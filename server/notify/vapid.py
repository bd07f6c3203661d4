"""The VAPID key pair (RFC 8292): made once, kept outside the repository, its public half
served to pages; Authorization headers signed once per push-service origin and reused."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02

#: a token lives 12 hours (push services accept up to 24); renewed an hour before it ends
TOKEN_SECONDS = 12 * 3600
RENEW_BEFORE = 3600


def ensure_keys(path: Path) -> Vapid02:
    """Load the key pair, making it first if there is none (`gridwatch vapid` does the same)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        vapid = Vapid02()
        vapid.generate_keys()
        path.write_bytes(vapid.private_pem())
        path.chmod(0o600)
    return Vapid02.from_file(str(path))


def public_key(vapid: Vapid02) -> str:
    """The applicationServerKey pages pass to pushManager.subscribe(): base64url, no padding."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Signer:
    """Authorization headers per push-service origin, signed once and reused while valid."""

    vapid: Vapid02
    subject: str
    _cache: dict[str, tuple[float, str]] = field(default_factory=dict)

    def authorization(self, endpoint: str, now: float | None = None) -> str:
        parts = urlsplit(endpoint)
        origin = f"{parts.scheme}://{parts.netloc}"
        now = time.time() if now is None else now
        cached = self._cache.get(origin)
        if cached and cached[0] - RENEW_BEFORE > now:
            return cached[1]
        expires = int(now) + TOKEN_SECONDS
        header = self.vapid.sign({"aud": origin, "exp": expires, "sub": self.subject})
        self._cache[origin] = (expires, header["Authorization"])
        return header["Authorization"]
