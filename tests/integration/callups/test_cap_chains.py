"""CAP chains in any arrival order (issue 17): an alert, its update and a cancel, as an
out-of-order feed may deliver them. Whatever the order, the state each message ends in is
the same: the latest sent in force when nothing cancels the chain; everything cancelled, for
good, when a Cancel names any message of it."""

from __future__ import annotations

import itertools

import pytest

from server.callups.tables import EarlyWarning
from server.callups.warnings import import_cap
from tests.integration.callups.people import OURS_CAP

pytestmark = pytest.mark.db
RED, UPDATE = "zh_rainstorm_red.cap", "zh_rainstorm_update.cap"
#: names the update; names only the first alert
CANCEL, CANCEL_FIRST = "zh_rainstorm_cancel.cap", "zh_rainstorm_cancel_original.cap"


async def _states() -> dict[str, tuple[str, str | None]]:
    """identifier's time part -> (stored state, the time part of what superseded it)"""
    rows = await EarlyWarning.select(
        EarlyWarning.id, EarlyWarning.identifier, EarlyWarning.state, EarlyWarning.superseded_by
    )
    short = {r["id"]: r["identifier"][-6:] for r in rows}
    return {short[r["id"]]: (r["state"], short.get(r["superseded_by"])) for r in rows}


async def _feed(names: tuple[str, ...]) -> None:
    for name in names:
        await import_cap((OURS_CAP / name).read_bytes())


@pytest.mark.parametrize("order", list(itertools.permutations([RED, UPDATE])))
async def test_the_latest_is_in_force_whatever_came_first(demo, order) -> None:
    await _feed(order)
    assert await _states() == {
        "080000": ("updated", "110000"),
        "110000": ("active", None),
    }


@pytest.mark.parametrize(
    "order",
    [
        *itertools.permutations([RED, UPDATE, CANCEL]),
        *itertools.permutations([RED, UPDATE, CANCEL_FIRST]),
    ],
)
async def test_a_cancel_ends_the_whole_chain_whatever_came_first(demo, order) -> None:
    await _feed(order)
    states = await _states()
    cancel = "180000" if CANCEL in order else "183000"
    assert states == {
        "080000": ("cancelled", cancel),
        "110000": ("cancelled", cancel),
        cancel: ("cancelled", None),
    }
    [shown] = await EarlyWarning.select(EarlyWarning.level, EarlyWarning.headline).where(
        EarlyWarning.identifier.like(f"%{cancel}")
    )
    # listed as the cancellation of the orange update, not as a blue warning of its own
    assert shown["level"] == "orange" and "橙色" in shown["headline"]


async def test_an_update_does_not_revive_a_cancelled_alert(demo) -> None:
    await _feed((RED, CANCEL_FIRST, UPDATE))
    assert {state for state, _by in (await _states()).values()} == {"cancelled"}
