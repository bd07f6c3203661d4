"""Page objects for reporting and handling hazards."""

from __future__ import annotations

from playwright.async_api import Page


class ReportPage:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    async def open(self) -> None:
        await self.page.goto(self.base_url + "/hazards/new")

    async def record_id(self) -> str:
        return await self.page.locator("#report-form input[name=record_id]").input_value()

    async def fill(self, category: str, description: str, photos: list[dict]) -> list[str]:
        """Fill the form; returns the SHA-256 of each photo once it is prepared."""
        await self.page.get_by_label("类别").select_option(category)
        await self.page.get_by_label("描述").fill(description)
        ready = self.page.locator("#report-form input[type=hidden][name=photos_before]")
        await self.page.get_by_label("整改前照片").set_input_files(photos)
        await ready.nth(len(photos) - 1).wait_for(state="attached")
        return [await ready.nth(i).get_attribute("value") or "" for i in range(len(photos))]

    async def submit(self) -> None:
        await self.page.get_by_role("button", name="提交上报").click()

    async def drag_pin(self, dx: int, dy: int) -> tuple[float, float]:
        """Drag the map's pin by (dx, dy) pixels, as a thumb does; returns the stored lat, lng."""
        form = self.page.locator("#report-form")
        await form.locator("[data-pin-map][data-drawn]").wait_for()
        before = await form.locator("input[name=lng]").input_value()
        pin = form.locator(".leaflet-marker-icon.pin")
        await pin.scroll_into_view_if_needed()
        box = await pin.bounding_box()
        assert box, "the pin is on the map"
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        await self.page.mouse.move(x, y)
        await self.page.mouse.down()
        await self.page.mouse.move(x + dx, y + dy, steps=10)
        await self.page.mouse.up()
        await form.locator("[data-geo][data-pinned]").wait_for()
        lat = float(await form.locator("input[name=lat]").input_value())
        lng = float(await form.locator("input[name=lng]").input_value())
        assert str(lng) != before, "the pin moved the stored position"
        return lat, lng


class HazardPage:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    async def open(self, hazard_id: str) -> None:
        await self.page.goto(f"{self.base_url}/hazards/{hazard_id}")

    async def status(self) -> str:
        return (await self.page.locator(".hero .tag").first.inner_text()).strip()

    async def accept(self) -> None:
        await self.page.locator("#accept-form button[type=submit]").click()
        await self.page.locator("#assign-form").wait_for()

    async def assign(self, unit: str, mobile: str, measures: str) -> None:
        form = self.page.locator("#assign-form")
        await form.get_by_label("责任单位", exact=True).fill(unit)
        option = form.locator("select[name=assignee_id] option", has_text=mobile)
        await form.locator("select[name=assignee_id]").select_option(
            await option.get_attribute("value")
        )
        await form.get_by_label("整改措施").fill(measures)
        await form.get_by_role("button", name="交办").click()
        await self.wait_for_status("整改中")

    async def wait_for_status(self, label: str) -> None:
        await self.page.locator(".hero .tag", has_text=label).wait_for()

    async def rectify(self, note: str, photo: dict) -> None:
        form = self.page.locator("#rectify-form")
        await form.get_by_label("整改后照片").set_input_files([photo])
        await form.locator("input[type=hidden][name=photos_after]").wait_for(state="attached")
        await form.get_by_label("整改情况说明").fill(note)
        await form.get_by_role("button", name="提交整改").click()

    async def verify(self, note: str) -> None:
        form = self.page.locator("#verify-form")
        await form.get_by_label("复核意见").fill(note)
        await form.get_by_role("button", name="销号").click()
