"""Page object for the phone's outbox, driven through its own module in the page."""

from __future__ import annotations

from playwright.async_api import Page


class Outbox:
    def __init__(self, page: Page) -> None:
        self.page = page

    async def enqueue_note(self, record_id: str, **fields: object) -> None:
        await self.page.evaluate(
            """([rid, fields]) => import('/static/js/outbox.js').then(async m => {
                 // the page registers the device on load; do not race it
                 await m.ensureDevice(document.querySelector('meta[name=gw-device]').content);
                 return m.enqueue('note', 'create', rid, fields, 0);
               })""",
            [record_id, fields],
        )

    async def counts(self) -> dict:
        return await self.page.evaluate("import('/static/js/outbox.js').then(m => m.counts())")

    async def device(self) -> str:
        """This phone's device as the outbox knows it (made from the page's meta if needed)."""
        return await self.page.evaluate(
            """import('/static/js/outbox.js').then(m => m.ensureDevice(
                 document.querySelector('meta[name=gw-device]').content)).then(d => d.id)"""
        )

    async def drained(self, seconds: float = 20) -> dict:
        """The counts once nothing is queued, or as they stand after `seconds`: the
        triggers (online, load, timer) are the page's own; the test only watches."""
        for _ in range(int(seconds * 10)):
            counts = await self.counts()
            if counts["queued"] == 0:
                return counts
            await self.page.wait_for_timeout(100)
        return await self.counts()

    async def replay(self, max_attempts: int = 8) -> dict:
        return await self.page.evaluate(
            "(n) => import('/static/js/outbox.js').then(m => m.replay({maxAttempts: n}))",
            max_attempts,
        )

    async def add_raw(self, mutation: dict) -> None:
        """An entry the server cannot even read (as a bug on an old phone might make)."""
        await self.page.evaluate(
            """(mutation) => import('/static/js/idb.js').then(db => db.transact(
                 ['outbox'], 'readwrite', tx => { tx.objectStore('outbox').add({
                   mutation, state: 'queued', attempts: 0, last_error: '',
                   queued_at: Date.now() }); }))""",
            mutation,
        )

    async def badge(self) -> str | None:
        badge = self.page.locator("#pending-sync")
        if await badge.get_attribute("hidden") is not None:
            return None
        return (await badge.locator("[data-pending-count]").inner_text()).strip()
