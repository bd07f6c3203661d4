"""Demo data, loaded idempotently. The city itself arrives with the directory issue."""

from __future__ import annotations

from server.audit.service import events, record_event
from server.settings import Settings


async def load_demo(settings: Settings) -> list[str]:
    """Load what is missing and return the lines to print (URL and demo logins)."""
    if not await events(action="demo.load", limit=1):
        await record_event("demo.load", entity="demo", detail={"city": None})
    return [
        f"Open {settings.base_url}/ on a phone or a desktop browser.",
        "Demo city: none yet (an empty city until the directory is built).",
        "Demo logins: none yet.",
    ]
