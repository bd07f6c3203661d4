"""Page objects for logging in and for the pages a grid member uses first."""

from __future__ import annotations

from playwright.async_api import Page


class LoginPage:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    async def open(self) -> None:
        await self.page.goto(self.base_url + "/login")

    async def as_admin(self) -> None:
        """Log in as the demo administrator and wait for the home page."""
        from server.directory.demo import DEMO_PASSWORD

        await self.open()
        await self.log_in("13900000001", DEMO_PASSWORD)
        await self.page.locator("#my-areas").wait_for()

    async def as_person(self, mobile: str) -> None:
        """Log in as a demo person and wait for the home page's quick actions."""
        from server.directory.demo import DEMO_PASSWORD

        await self.open()
        await self.log_in(mobile, DEMO_PASSWORD)
        await self.page.locator("#quick-actions").wait_for()

    async def log_in(self, mobile: str, password: str) -> None:
        await self.page.get_by_label("手机号").fill(mobile)
        await self.page.get_by_label("密码").fill(password)
        await self.page.get_by_role("button", name="登录").click()


class HomePage:
    def __init__(self, page: Page) -> None:
        self.page = page

    async def greeting(self) -> str:
        return (await self.page.locator("h1").inner_text()).strip()

    async def my_areas(self) -> list[str]:
        return [
            " ".join(t.split()) for t in await self.page.locator("#my-areas a").all_inner_texts()
        ]

    async def open_area(self, name: str) -> None:
        await self.page.locator("#my-areas a", has_text=name).click()

    async def tab(self, name: str) -> None:
        await self.page.locator("nav.tabbar a", has_text=name).click()


class AreaPage:
    def __init__(self, page: Page) -> None:
        self.page = page

    async def title(self) -> str:
        return (await self.page.locator("h1").inner_text()).strip()

    async def place_names(self) -> list[str]:
        return await self.page.locator("#area-places .places a").all_inner_texts()
