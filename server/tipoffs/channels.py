"""How a tip-off reached the station (the channels Jieshou's summary counts: 12350 hotline,
12345 转办, a superior's 转办, letters and visits, the web form, partner systems) and its
time limits: 受理 (accept or reject) and 办结 (resolve) within TIPOFF_DUE_DAYS of its receipt,
or of the reporter's 未解决 that reopened it; past them it is overdue."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from piccolo.columns.combination import Combinable

from server.i18n import N_, gettext
from server.tipoffs.tables import TipOff


class Channel(StrEnum):
    web = "web"
    open311 = "open311"
    hotline_12350 = "12350"
    hotline_12345 = "12345"
    superior = "superior"
    letter = "letter"
    visit = "visit"
    phone = "phone"

    @property
    def label(self) -> str:
        return gettext(_LABELS[self])


_LABELS = {
    Channel.web: N_("Web form"),
    Channel.open311: N_("Partner system (Open311)"),
    Channel.hotline_12350: N_("12350 work-safety hotline"),
    Channel.hotline_12345: N_("12345 hotline transfer"),
    Channel.superior: N_("Transferred by a superior"),
    Channel.letter: N_("Letter"),
    Channel.visit: N_("Visit in person"),
    Channel.phone: N_("Other phone call"),
}
#: what staff enter at a desk (the web form and partner systems enter themselves)
DESK = (
    Channel.hotline_12350,
    Channel.hotline_12345,
    Channel.superior,
    Channel.letter,
    Channel.visit,
    Channel.phone,
)


def label(value: str) -> str:
    try:
        return Channel(value).label
    except ValueError:
        return value


def overdue_where(due_days: tuple[int, int], now: datetime) -> Combinable:
    """Tip-offs past a time limit: not accepted in time, or not resolved in time."""
    accept, resolve = due_days
    return ((TipOff.state == "received") & (TipOff.counted_from < now - timedelta(days=accept))) | (
        TipOff.state.is_in(["received", "accepted"])
        & (TipOff.counted_from < now - timedelta(days=resolve))
    )


def overdue(row: dict[str, Any], due_days: tuple[int, int], now: datetime) -> str:
    """The limit a tip-off is past ("" when none): 受理超期 before 办结超期."""
    accept, resolve = due_days
    started = row.get("counted_from") or row["received_at"]
    if row["state"] in ("received", "accepted") and now - started > timedelta(days=resolve):
        return gettext(N_("Resolution overdue"))
    if row["state"] == "received" and now - started > timedelta(days=accept):
        return gettext(N_("Acceptance overdue"))
    return ""


def due(row: dict[str, Any], due_days: tuple[int, int]) -> tuple[datetime, datetime]:
    """When it must be accepted and resolved by."""
    started = row.get("counted_from") or row["received_at"]
    return started + timedelta(days=due_days[0]), started + timedelta(days=due_days[1])
