"""The public side of a place (issue 18): a plate scanned by anyone shows the place, the
responsible persons it publishes (its own posts, then the village's and town's) and a
tip-off form filled with it; staff who cover the place are taken to its page instead; staff
of another town see the public side, not the place's page."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.directory.tables import Place, Post
from tests.integration.hazards.people import STATION, other_station
from tests.integration.helpers import log_in

pytestmark = pytest.mark.db


async def _dyke() -> dict:
    return (
        await Place.select(Place.id, Place.qr_token, Place.name, Place.area_path)
        .where(Place.kind == "embankment")
        .order_by(Place.code)
        .first()
    )


async def test_anyone_reads_a_dyke_plate(app: Litestar, demo) -> None:
    dyke = await _dyke()
    guarantor = await Post.select(Post.person.name.as_alias("name")).where(Post.place == dyke["id"])
    async with AsyncTestClient(app=app) as anyone:
        page = await anyone.get(f"/p/{dyke['qr_token']}")
        assert page.status_code == 200 and dyke["name"] in page.text
        assert page.text.count('href="tel:') == 3  # guarantor, village and town
        assert guarantor and guarantor[0]["name"] in page.text
        form = await anyone.get(f"/tipoffs/new?place={dyke['qr_token']}")
        assert 'id="about-place"' in form.text and f'value="{dyke["name"]}' in form.text
        assert (await anyone.get("/p/no-such-plate")).status_code == 404
        plain = await anyone.get("/tipoffs/new?place=no-such-plate")
        assert plain.status_code == 200 and 'id="about-place"' not in plain.text


async def test_staff_who_cover_it_open_its_page(app: Litestar, demo) -> None:
    dyke = (
        await Place.select(Place.qr_token, Place.id)
        .where(Place.area_path.like("/339900/339901/339901001/%"))
        .first()
    )  # a place in 城北街道, STATION's town
    async with AsyncTestClient(app=app) as station:
        assert (await log_in(station, STATION)).status_code == 303
        opened = await station.get(f"/p/{dyke['qr_token']}", follow_redirects=False)
        assert opened.status_code == 303 and opened.headers["location"] == f"/places/{dyke['id']}"
    async with AsyncTestClient(app=app) as elsewhere:
        assert (await log_in(elsewhere, await other_station())).status_code == 303
        public = await elsewhere.get(f"/p/{dyke['qr_token']}", follow_redirects=False)
        assert public.status_code == 200 and 'id="place-public"' in public.text
