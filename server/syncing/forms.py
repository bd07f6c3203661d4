"""An offline-capable form, posted online, as the envelope the outbox would have sent.

The service worker (pwa/static/js/sw/forms.js) turns the same form into the same fields
when it keeps it offline: the envelope names below are not fields (the list reaches the
phone in the generated /sw.js build); a field named `photos...` is a list of photo hashes (a
union by id); every other field is its string value.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from litestar.datastructures import FormMultiDict

from server.auth.service import Viewer
from server.syncing.service import now_ms
from sync.hlc import HLC

ENVELOPE = frozenset({"mutation_id", "record_id", "entity", "op", "base_seq", "hlc", "_csrf_token"})


def form_fields(form: FormMultiDict) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in form:
        if name in ENVELOPE:
            continue
        if name.startswith("photos"):
            fields[name] = [{"id": sha, "sha256": sha} for sha in form.getall(name) if sha]
        else:
            fields[name] = form.get(name)
    return fields


def envelope(
    form: FormMultiDict,
    viewer: Viewer,
    *,
    entity: str,
    op: str,
    record_id: uuid.UUID,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The mutation a form makes. Online posts come from the session's form "device" (the
    outbox numbers its own device's mutations; these must not fill its gaps)."""
    try:
        base_seq = max(0, int(form.get("base_seq") or 0))
    except ValueError:
        base_seq = 0
    return mutation_for(
        viewer,
        entity=entity,
        op=op,
        record_id=record_id,
        fields={**form_fields(form), **(extra or {})},
        base_seq=base_seq,
        mutation_id=form.get("mutation_id") or "",
        hlc=form.get("hlc") or "",
    )


def mutation_for(
    viewer: Viewer,
    *,
    entity: str,
    op: str,
    record_id: uuid.UUID,
    fields: dict[str, Any],
    base_seq: int = 0,
    mutation_id: str = "",
    hlc: str = "",
) -> dict[str, Any]:
    """A mutation made on the server for a person at a desk (a form, or another domain
    acting for them): it travels the same path as a phone's."""
    return {
        "mutation_id": mutation_id or str(uuid.uuid4()),
        "device_id": str(uuid.uuid5(viewer.session_id, "online-form")),
        "device_seq": 1,
        "entity": entity,
        "record_id": str(record_id),
        "op": op,
        "base_seq": base_seq,
        "fields": fields,
        "hlc": hlc or str(HLC(now_ms(), 0, "server")),
        "phone_time": now_ms(),
    }
