"""Live delivery to open pages over SSE: one channel per person ("person:<id>"), through
Litestar Channels (in memory by default; PostgreSQL LISTEN/NOTIFY when CHANNELS_URL names a
database, so that a separate worker process can reach pages served by the web processes)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend

from server.settings import Settings

_plugin: ChannelsPlugin | None = None


def plugin_for(settings: Settings) -> ChannelsPlugin:
    """The process's channels; create_app installs it (one per process)."""
    global _plugin
    url = settings.channels_url
    if url.startswith(("postgresql://", "postgres://")):
        backend: Any = AsyncPgChannelsBackend(dsn=url)
    else:
        backend = MemoryChannelsBackend()
    _plugin = ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True)
    return _plugin


def channel(person_id: uuid.UUID) -> str:
    return f"person:{person_id}"


def publish(person_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """Tell the person's open pages now (nothing happens if no page is open)."""
    if _plugin is None:
        return
    try:
        _plugin.publish(json.dumps(payload, ensure_ascii=False).encode(), [channel(person_id)])
    except Exception:  # live delivery is a bonus: the delivery queue still delivers
        return
