"""Page object for the app shell every page shares."""

from __future__ import annotations

from playwright.async_api import Page

from tests.e2e.conftest import PHONE


class Shell:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    async def open(self, path: str = "/") -> None:
        await self.page.goto(self.base_url + path)

    async def reload(self) -> None:
        await self.page.reload()

    async def wait_for_service_worker(self) -> None:
        """Until the worker is active and controls this page. A page open when it activated
        is taken by its claim (after the old caches are cleaned); a page whose navigation
        began while it was still activating is taken by no one: that one is loaded again."""
        await self.page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        for _ in range(20):
            if await self.controlled():
                return
            await self.page.wait_for_timeout(100)
        await self.page.reload()
        await self.page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    async def wait_until_cached(self, path: str, timeout_s: float = 10) -> None:
        """Wait until the service worker holds a copy of `path` for offline use."""
        script = f"""caches.match("{self.base_url}{path}").then((r) => Boolean(r))"""
        for _ in range(int(timeout_s * 10)):
            if await self.page.evaluate(script):
                return
            await self.page.wait_for_timeout(100)
        raise AssertionError(f"{path} was never cached")

    async def controlled(self) -> bool:
        return await self.page.evaluate("navigator.serviceWorker.controller !== null")

    async def rendered_at(self) -> str:
        return await self.page.locator("html").get_attribute("data-rendered-at") or ""

    async def online_flag(self) -> str:
        return await self.page.locator("html").get_attribute("data-online") or ""

    async def network_label(self) -> str:
        return (await self.page.locator("#net-status").inner_text()).strip()

    async def title(self) -> str:
        return (await self.page.locator("h1").inner_text()).strip()


async def overflow(page: Page) -> int:
    """How far the page is wider than the phone (0: nothing to scroll sideways)."""
    return await page.evaluate("document.documentElement.scrollWidth") - PHONE["width"]


async def small_targets(page: Page, selector: str = "main a, main button") -> list[str]:
    """Links and buttons shown in the page's content that a thumb cannot hit (under 40 px
    high), by their text: a list row, a chip, a step of the area trail."""
    return await page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
          .filter((el) => el.offsetParent !== null && !el.closest('p, .muted, td, .thumbs'))
          .filter((el) => el.getBoundingClientRect().height < 40)
          .map((el) => (el.textContent || el.outerHTML).trim().slice(0, 40))""",
        selector,
    )
