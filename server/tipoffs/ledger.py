"""Tip-off figures (受理数, 办结率, median days to 办结) for a month in the viewer's areas, and
the rewards ledger (.xlsx) for the staff who pay them."""

from __future__ import annotations

import io
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from openpyxl import Workbook
from piccolo.query.functions.aggregate import Count

from server import sheets
from server.auth.access import BUREAU
from server.auth.service import Viewer
from server.directory import service as directory
from server.errors import Forbidden
from server.hazards import service as hazards
from server.i18n import N_, gettext
from server.localtime import ZONE, today, wall
from server.tipoffs import channels, rewards, service
from server.tipoffs.tables import Reward, TipOff


@dataclass(frozen=True)
class Figures:
    month: str
    previous: str
    following: str
    received: int
    accepted: int
    rejected: int
    resolved: int
    median_days: float | None
    #: past a time limit now (受理 or 办结), of those received in the month
    overdue: int = 0
    satisfied: int = 0
    unsatisfied: int = 0
    #: how many the reporters reopened (未解决)
    reopened: int = 0
    #: (channel's label, received, accepted, resolved, overdue), every channel that had one
    by_channel: tuple[tuple[str, int, int, int, int], ...] = ()

    @property
    def resolved_rate(self) -> float | None:
        """办结率: of the accepted, how many are resolved."""
        return self.resolved / self.accepted if self.accepted else None

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率: of the reporters who answered, how many were satisfied."""
        answered = self.satisfied + self.unsatisfied
        return self.satisfied / answered if answered else None


def month_of(params: Mapping[str, str]) -> date:
    """The first day of ?month=YYYY-MM, else of this month (the city's calendar)."""
    try:
        return datetime.strptime(params.get("month") or "", "%Y-%m").date()
    except ValueError:
        return today().replace(day=1)


def _next(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


async def figures(
    viewer: Viewer, first: date, due_days: tuple[int, int], now: datetime | None = None
) -> Figures:
    """Tip-offs received in the month: how many, accepted (resolved ones included), not
    accepted, resolved, the median days from receipt to 办结, how many are overdue, the
    reporters' answers, and the same counts by channel (12350, 12345, 上级转办...)."""
    start = datetime.combine(first, time.min, ZONE)
    end = datetime.combine(_next(first), time.min, ZONE)
    if not service.handles(viewer):
        raise Forbidden(N_("You are not allowed to do this."))
    where = (TipOff.received_at >= start) & (TipOff.received_at < end)
    if (scope := service.where_for(viewer)) is not None:
        where = where & scope
    now = now or datetime.now(UTC)
    late = channels.overdue_where(due_days, now)
    grouped = await (
        TipOff.select(TipOff.channel, TipOff.state, Count())
        .where(where)
        .group_by(TipOff.channel, TipOff.state)
    )
    counts: dict[str, int] = {}
    per_channel: dict[str, dict[str, int]] = {}
    for r in grouped:
        counts[r["state"]] = counts.get(r["state"], 0) + r["count"]
        per_channel.setdefault(r["channel"], {})[r["state"]] = r["count"]
    late_by_channel = {
        r["channel"]: r["count"]
        for r in await TipOff.select(TipOff.channel, Count())
        .where(where & late)
        .group_by(TipOff.channel)
    }
    answers = {
        r["satisfaction"]: r["count"]
        for r in await TipOff.select(TipOff.satisfaction, Count())
        .where(where & (TipOff.satisfaction != ""))
        .group_by(TipOff.satisfaction)
    }
    reopened = await TipOff.count().where(where & (TipOff.reopened > 0))
    resolved = await TipOff.select(TipOff.received_at, TipOff.resolved_at).where(
        where & (TipOff.state == "resolved")
    )
    days = [
        (r["resolved_at"] - r["received_at"]).total_seconds() / 86400
        for r in resolved
        if r["resolved_at"]
    ]
    previous = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    return Figures(
        month=f"{first:%Y-%m}",
        previous=f"{previous:%Y-%m}",
        following=f"{_next(first):%Y-%m}",
        received=sum(counts.values()),
        accepted=counts.get("accepted", 0) + counts.get("resolved", 0),
        rejected=counts.get("rejected", 0),
        resolved=counts.get("resolved", 0),
        median_days=round(statistics.median(days), 1) if days else None,
        overdue=sum(late_by_channel.values()),
        satisfied=answers.get("satisfied", 0),
        unsatisfied=answers.get("unsatisfied", 0),
        reopened=reopened,
        by_channel=tuple(
            (
                channels.label(channel),
                sum(states.values()),
                states.get("accepted", 0) + states.get("resolved", 0),
                states.get("resolved", 0),
                late_by_channel.get(channel, 0),
            )
            for channel, states in sorted(per_channel.items(), key=lambda kv: -sum(kv[1].values()))
        ),
    )


HEADERS = (
    N_("Tip-off"),
    N_("Received"),
    N_("The hazard"),
    N_("Level"),
    N_("Reward"),
    N_("Amount (yuan)"),
    N_("Fine (yuan)"),
    N_("Proposed by"),
    N_("Approved by"),
    N_("Reporter"),
    N_("Mobile"),
    N_("Note"),
)


async def rewards_xlsx(viewer: Viewer) -> bytes:
    """Every reward with its tip-off and the reporter's contact: for the rewards staff."""
    if not viewer.kinds & BUREAU:
        raise Forbidden(N_("Rewards are decided by the bureau."))
    seen = service.where_for(viewer)  # the rewards of the tip-offs one handles, no others
    scoped = TipOff.select(TipOff.id) if seen is None else TipOff.select(TipOff.id).where(seen)
    found = await Reward.select().where(Reward.tipoff_id.is_in(scoped)).order_by(Reward.created_at)
    tipoffs = {
        t["id"]: t
        for t in await TipOff.select().where(
            TipOff.id.is_in([r["tipoff_id"] for r in found] or [None])
        )
    }
    outcomes = await hazards.outcomes([r["hazard_id"] for r in found])
    people = [p for r in found for p in (r["decided_by"], r["approved_by"]) if p]
    names = await directory.names_in_scope(viewer.scope, list(set(people)))
    book = Workbook()
    sheet = book.active
    sheet.title = gettext(N_("Rewards"))
    sheets.append(sheet, [gettext(h) for h in HEADERS])
    for r in found:
        t: dict[str, Any] = tipoffs.get(r["tipoff_id"], {})
        outcome = outcomes.get(r["hazard_id"])
        sheets.append(
            sheet,
            [
                t.get("number", ""),
                wall(t.get("received_at")),
                outcome.code if outcome else "",
                r["level"],
                rewards.label(r["state"]),
                r["amount_yuan"],
                r["fine_yuan"],
                names.get(r["decided_by"], ""),
                names.get(r["approved_by"], ""),
                t.get("name", ""),
                t.get("mobile", ""),
                r["note"],
            ],
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
