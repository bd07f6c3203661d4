"""Telling a reporter what became of their tip-off, by web push to the browsers they
subscribed from its page. A reporter has no account: the delivery queue knows them by
the tip-off's id."""

from __future__ import annotations

import uuid

from server.i18n import N_, gettext
from server.notify.deliveries import Note, send_to
from server.notify.service import NewSubscription, keep_subscription, with_push
from server.tipoffs.tables import TipOff

ACCEPTED = N_("Your tip-off %(number)s was accepted.")
REJECTED = N_("Your tip-off %(number)s was not accepted.")
REPLIED = N_("There is a reply to your tip-off %(number)s.")
RESOLVED = N_("Your tip-off %(number)s is resolved.")
REWARD = N_("News of the reward for your tip-off %(number)s.")


async def subscribe(
    tipoff_id: uuid.UUID, sub: NewSubscription, hosts: tuple[str, ...], user_agent: str = ""
) -> None:
    await keep_subscription(tipoff_id, None, sub, hosts, user_agent)


async def tell(tipoff_ids: list[uuid.UUID], message: str) -> None:
    """Push `message` to each of these tip-offs' reporters who subscribed (others: nothing)."""
    subscribed = await with_push(tipoff_ids)
    if not subscribed:
        return
    for row in await TipOff.select(TipOff.id, TipOff.number, TipOff.code).where(
        TipOff.id.is_in(list(subscribed))
    ):
        note = Note(
            kind="tipoff",
            title=gettext(message, number=row["number"]),
            body=gettext(N_("Open it to read more.")),
            url=f"/t/{row['code']}",
        )
        await send_to(row["id"], note, ladder=["webpush"])
