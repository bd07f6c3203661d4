"""Page objects for call-ups: the issuer's form and live board, the target's answer page."""

from __future__ import annotations

from playwright.async_api import Page


class CallupForm:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    async def draft(self, title: str, level_label: str, area_name: str) -> str:
        """Fill and submit the new call-up form; returns the draft's URL."""
        await self.page.goto(self.base_url + "/callups/new")
        await self.page.get_by_label("标题").fill(title)
        await self.page.get_by_label(level_label).check()
        label = self.page.locator("#callup-form label", has_text=area_name).first
        if not await label.is_visible():  # a village folded under its town: open the town
            inner = self.page.locator("label", has_text=area_name)
            town = self.page.locator("#callup-form details.area-group", has=inner)
            await town.locator("summary").click()
        await label.locator("input").check()
        await self.page.get_by_role("button", name="列出叫应对象").click()
        await self.page.locator("#send-form").wait_for()
        return self.page.url

    async def targets(self) -> list[str]:
        return await self.page.locator("#draft-targets li[id^=target-]").all_inner_texts()

    async def send(self) -> None:
        await self.page.locator("#send-form button").click()
        await self.page.locator("[data-board-stream]").wait_for()


class Board:
    def __init__(self, page: Page) -> None:
        self.page = page

    async def mark(self) -> None:
        """A marker a reload would lose: proves what follows came live."""
        await self.page.evaluate("window.__stillHere = true")

    async def still_here(self) -> bool:
        return await self.page.evaluate("window.__stillHere === true")

    async def count(self, state: str) -> int:
        text = await self.page.locator(f'[data-count="{state}"]').inner_text()
        return int(text)

    async def wait_count(self, state: str, value: int, seconds: float = 15) -> int:
        for _ in range(int(seconds * 10)):
            if await self.count(state) == value:
                return value
            await self.page.wait_for_timeout(100)
        return await self.count(state)

    async def silent_text(self) -> str:
        return await self.page.locator("#board-silent").inner_text()


class AnswerPage:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    async def open(self, callup_id: str) -> None:
        await self.page.goto(f"{self.base_url}/callups/{callup_id}/answer")
        await self.page.locator("#ack-form").wait_for()

    async def received(self) -> None:
        await self.page.locator("#ack-form button").click()
