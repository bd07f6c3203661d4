"""Static files: content hashes computed at start-up, versioned URLs, the precache list."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File

from server.auth.access import PUBLIC, allow
from server.settings import ROOT

STATIC_DIR = ROOT / "pwa" / "static"
#: files a phone never needs (licences and notes stay in the tree for people)
_SKIP_SUFFIXES = {".md", ".txt", ".gz"}
_SKIP_NAMES = {"LICENSE"}

mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/manifest+json", ".webmanifest")


@dataclass(frozen=True)
class Assets:
    """Every servable static file by its name under pwa/static, with its content hash."""

    files: dict[str, tuple[Path, str]]
    version: str

    @classmethod
    def scan(cls, root: Path = STATIC_DIR) -> Assets:
        files: dict[str, tuple[Path, str]] = {}
        whole = hashlib.sha256()
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if path.suffix in _SKIP_SUFFIXES or path.name in _SKIP_NAMES:
                continue
            name = path.relative_to(root).as_posix()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            files[name] = (path, digest)
            whole.update(f"{name}:{digest}\n".encode())
        return cls(files=files, version=whole.hexdigest()[:12])

    def url(self, name: str) -> str:
        """The versioned URL of a static file; a missing file is a programming error."""
        _path, digest = self.files[name]
        return f"/static/{name}?v={digest}"

    def precache(self) -> list[str]:
        return [self.url(name) for name in self.files]


@get(
    "/static/{name:path}",
    exclude_from_csrf=True,
    include_in_schema=False,
    sync_to_thread=False,
    opt=allow(PUBLIC),
)
def static_file(request: Request, name: FromPath[str]) -> File:
    """Serve a known static file. A current ?v= hash may be cached for ever."""
    assets: Assets = request.app.state.assets
    entry = assets.files.get(name.lstrip("/"))
    if entry is None:
        raise NotFoundException()
    path, digest = entry
    immutable = request.query_params.get("v") == digest
    cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return File(
        path=path,
        media_type=media_type,
        content_disposition_type="inline",
        headers={"Cache-Control": cache, "ETag": f'"{digest}"'},
    )
