"""举报奖励: the first valid reporter of a hazard may be rewarded by the rule for its level;
an amount is proposed, approved by someone else, then paid (or the reward is declined with a
reason). The reporter sees the state and amount by their code; the rewards staff export the
ledger.

Default rules (admins change them in the table): a general hazard (一般) up to ¥500; a major
hazard (重大) 15% of the fine, at least ¥3,000 and at most ¥300,000 — the shape of the
national 安全生产领域举报奖励办法."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from server import db
from server.auth.access import BUREAU
from server.auth.service import Viewer
from server.errors import DomainError, Forbidden
from server.i18n import N_, gettext
from server.tipoffs import reporter, service
from server.tipoffs.service import event
from server.tipoffs.tables import Reward, RewardRule

DEFAULT_RULES = (
    {"level": "general", "kind": "fixed", "min_yuan": 0, "max_yuan": 500, "share_percent": 0},
    {
        "level": "major",
        "kind": "share",
        "min_yuan": 3000,
        "max_yuan": 300_000,
        "share_percent": 15,
    },
)
_LABELS = {
    "eligible": N_("Eligible for a reward"),
    "approved": N_("Reward approved"),
    "paid": N_("Reward paid"),
    "declined": N_("No reward"),
}


def label(state: str) -> str:
    return gettext(_LABELS.get(state, state))


async def seed_rules() -> int:
    """The default rules, added once (a level already in the table is left as it is)."""
    have = {r["level"] for r in await RewardRule.select(RewardRule.level)}
    new = [RewardRule(**rule) for rule in DEFAULT_RULES if rule["level"] not in have]
    if new:
        await RewardRule.insert(*new)
    return len(new)


@dataclass(frozen=True)
class Rule:
    level: str
    kind: str
    min_yuan: int
    max_yuan: int
    share_percent: int

    def amount(self, proposed: int | None, fine: int | None) -> int:
        """The amount this rule allows: a fixed reward up to its maximum, or its share of the
        fine within its minimum and maximum."""
        if self.kind == "share":
            if fine is None or fine < 0:
                raise DomainError(N_("Give the fine the share is taken of."))
            return min(self.max_yuan, max(self.min_yuan, fine * self.share_percent // 100))
        if proposed is None or not 0 < proposed <= self.max_yuan:
            raise DomainError(N_("The amount is 1 to %(max)s yuan."), max=self.max_yuan)
        return proposed


async def set_rule(rule: Rule) -> None:
    """Change (or add) the rule of a level."""
    if rule.level not in ("general", "major") or rule.kind not in ("fixed", "share"):
        raise ValueError("rule general|major fixed|share --min --max --share")
    if not 0 <= rule.min_yuan <= rule.max_yuan or not 0 <= rule.share_percent <= 100:
        raise ValueError("a rule needs 0 <= min <= max and a share of 0 to 100 percent")
    await RewardRule.delete().where(RewardRule.level == rule.level)
    await RewardRule.insert(
        RewardRule(
            level=rule.level,
            kind=rule.kind,
            min_yuan=rule.min_yuan,
            max_yuan=rule.max_yuan,
            share_percent=rule.share_percent,
        )
    )


async def rules() -> list[Rule]:
    rows = await RewardRule.select().order_by(RewardRule.level, ascending=False)
    return [
        Rule(r["level"], r["kind"], r["min_yuan"], r["max_yuan"], r["share_percent"]) for r in rows
    ]


async def rule_for(level: str) -> Rule:
    row = (
        await RewardRule.select()
        .where((RewardRule.level == level) & RewardRule.active.eq(True))
        .first()
    )
    if row is None:
        raise DomainError(N_("No reward rule applies to this level."))
    return Rule(row["level"], row["kind"], row["min_yuan"], row["max_yuan"], row["share_percent"])


async def open_for(tipoff_id: uuid.UUID, hazard_id: uuid.UUID, level: str, first: bool) -> None:
    """On acceptance: eligible when this tip-off is the hazard's first report, else declined
    (the reporter is told why). Call inside the write that accepts the tip-off."""
    taken = await Reward.exists().where(Reward.hazard_id == hazard_id)
    eligible = first and not taken
    await Reward.insert(
        Reward(
            tipoff_id=tipoff_id,
            hazard_id=hazard_id,
            level=level,
            state="eligible" if eligible else "declined",
            note="" if eligible else gettext(N_("Not the first report of this hazard.")),
        )
    )


async def of_tipoff(tipoff_id: uuid.UUID) -> dict[str, Any] | None:
    return await Reward.select().where(Reward.tipoff_id == tipoff_id).first()


def _may_handle(viewer: Viewer) -> None:
    if not viewer.kinds & BUREAU:
        raise Forbidden(N_("Rewards are decided by the bureau."))


async def decide(viewer: Viewer, tipoff_id: uuid.UUID, action: str, form: Any) -> None:
    """propose (an amount, or the fine for a share), approve (someone else), pay, decline."""
    _may_handle(viewer)
    await service.get(viewer, tipoff_id)  # another area's tip-off is not found, nor its reward
    reward = await of_tipoff(tipoff_id)
    if reward is None:
        raise DomainError(N_("This tip-off has no reward to decide."))
    state, now = reward["state"], datetime.now(UTC)
    changes: dict[Any, Any] = {Reward.updated_at: now}
    if action == "propose" and state == "eligible":
        rule = await rule_for(reward["level"])
        proposed, fine = _yuan(form.get("amount_yuan")), _yuan(form.get("fine_yuan"))
        changes |= {
            Reward.amount_yuan: rule.amount(proposed, fine),
            Reward.fine_yuan: fine,
            Reward.decided_by: viewer.person_id,
        }
    elif action == "approve" and state == "eligible" and reward["amount_yuan"] is not None:
        if reward["decided_by"] == viewer.person_id:
            raise DomainError(N_("Someone other than the proposer approves a reward."))
        changes |= {Reward.state: "approved", Reward.approved_by: viewer.person_id}
    elif action == "pay" and state == "approved":
        changes |= {Reward.state: "paid"}
    elif action == "decline" and state in ("eligible", "approved"):
        reason = (form.get("note") or "").strip()
        if not 2 <= len(reason) <= 300:
            raise DomainError(N_("Say why in 2 to 300 characters: the reporter reads it."))
        changes |= {Reward.state: "declined", Reward.note: reason}
    else:
        raise DomainError(N_("This step does not fit the reward's state."))
    database = db.current()
    async with database.write():
        await Reward.update(changes).where((Reward.id == reward["id"]) & (Reward.state == state))
        await event(tipoff_id, f"reward_{action}", viewer.person_id, {"state": state})
    if action != "propose":  # a proposal is the bureau's business until it is approved
        await reporter.tell([tipoff_id], reporter.REWARD)


def _yuan(value: Any) -> int | None:
    text = str(value or "").strip().replace(",", "")
    if not text:
        return None
    if not text.isdigit():
        raise DomainError(N_("Amounts are whole yuan."))
    return int(text)
