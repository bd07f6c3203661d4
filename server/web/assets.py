"""Static files: content hashes computed at start-up, versioned URLs, the precache list.

The route that serves them is the shell's (`server/shell/routes.py`)."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

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
