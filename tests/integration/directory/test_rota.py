"""The duty rota (值班表, issue 18): filled and swapped on its page by the area's own staff,
empty days flagged before the flood season, and escalation reaching the day's rostered
officer instead of the standing duty-officer posts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server import localtime
from server.callups.escalation import escalate
from server.callups.tables import CallupTarget
from server.directory import rota
from server.directory.holders import duty_officers_for
from server.directory.service import area_by_code, person_by_mobile
from server.notify.tables import Message
from tests.integration.callups.people import BUREAU, DUTY_OFFICER, QINGXI, issue, viewer
from tests.integration.hazards.people import STATION, other_station
from tests.integration.helpers import log_in, post_form

pytestmark = pytest.mark.db


async def _station_town() -> str:
    station = await viewer(STATION)
    return next(p.area_path for p in station.posts)


async def test_escalation_reaches_the_days_rostered_officer(demo) -> None:
    sent = datetime.now(UTC) - timedelta(hours=1)
    day = localtime.today(sent)
    town = (await area_by_code(QINGXI)).path
    city_officer = (await person_by_mobile(DUTY_OFFICER)).id
    candidates = await rota.candidates(town)
    rostered = candidates[-1]["id"]
    assert rostered != city_officer
    assert (await duty_officers_for([town + "x/"], day))[town + "x/"] == [city_officer]
    chief = (await viewer(BUREAU)).person_id
    await rota.put(town, day, None, rostered, chief)
    # the town's officer of the day stands nearer than the city's standing duty room;
    # the day after, with no slot, the duty room again
    assert (await duty_officers_for([town + "x/"], day))[town + "x/"] == [rostered]
    after = day + timedelta(days=1)
    assert (await duty_officers_for([town + "x/"], after))[town + "x/"] == [city_officer]

    callup_id = await issue(await viewer(BUREAU), QINGXI, window=10, now=sent)
    await escalate(sent + timedelta(minutes=10, seconds=1))
    await escalate(sent + timedelta(minutes=20, seconds=2))
    told = {
        r["recipient_id"]
        for r in await Message.select(Message.recipient_id).where(
            Message.kind == "callup_escalation"
        )
    }
    assert rostered in told and city_officer not in told
    assert await CallupTarget.count().where(CallupTarget.callup_id == callup_id) > 0


async def test_the_rota_is_filled_and_swapped_on_its_page(app: Litestar, demo) -> None:
    town = await _station_town()
    people = await rota.candidates(town)
    assert len(people) >= 2
    first_day = localtime.today().replace(day=1)
    second_day = first_day + timedelta(days=1)
    async with AsyncTestClient(app=app) as station:
        assert (await log_in(station, STATION)).status_code == 303
        page = (await station.get("/duty")).text
        assert 'id="rota-days"' in page and "值班表" in page
        for day, (leader, officer) in (
            (first_day, (people[0], people[1])),
            (second_day, (people[1], people[0])),
        ):
            saved = await post_form(
                station,
                "/duty/slots",
                {
                    "area": town,
                    "day": day.isoformat(),
                    "leader_id": str(leader["id"]),
                    "officer_id": str(officer["id"]),
                },
            )
            assert saved.status_code == 303, saved.text[-800:]
        stranger = (await person_by_mobile(BUREAU)).id  # holds no post in the town
        refused = await post_form(
            station,
            "/duty/slots",
            {"area": town, "day": first_day.isoformat(), "officer_id": str(stranger)},
        )
        assert refused.status_code == 422 and "本区域" in refused.text
        swapped = await post_form(
            station,
            "/duty/swap",
            {"area": town, "first": first_day.isoformat(), "second": second_day.isoformat()},
        )
        assert swapped.status_code == 303
        page = (await station.get(swapped.headers["location"])).text
        assert people[0]["name"] in page
    slots = {s.day: s for s in await rota.month(town, first_day)}
    assert slots[first_day].officer_id == people[0]["id"]
    assert slots[second_day].officer_id == people[1]["id"]
    assert slots[first_day].leader_id == people[1]["id"]
    assert len(slots) >= 28 and slots[first_day + timedelta(days=5)].empty
    async with AsyncTestClient(app=app) as elsewhere:
        assert (await log_in(elsewhere, await other_station())).status_code == 303
        theirs = await post_form(
            elsewhere,
            "/duty/slots",
            {"area": town, "day": first_day.isoformat(), "officer_id": ""},
        )
        assert theirs.status_code == 422
    assert (await rota.month(town, first_day))[0].officer_id == people[0]["id"]


async def test_empty_days_are_flagged_before_the_flood_season(demo) -> None:
    town = await _station_town()
    april = date(2027, 4, 1)  # two weeks before the season opens on 15 April
    empty = (await rota.empty_ahead([town], april))[town]
    assert empty[0] == date(2027, 4, 15) and empty[-1] == date(2027, 5, 1)
    officer = (await rota.candidates(town))[0]["id"]
    await rota.put(town, date(2027, 4, 15), None, officer, officer)
    assert date(2027, 4, 15) not in (await rota.empty_ahead([town], april))[town]
    assert await rota.empty_ahead([town], date(2026, 12, 5)) == {}  # out of season
    assert await rota.empty_ahead([town], date(2027, 10, 16)) == {}
