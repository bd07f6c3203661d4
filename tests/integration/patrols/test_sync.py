"""A patrol as phones send it, on a real database: started, its track in batches (a batch
sent twice adds nothing), check-ins by QR code and by geofence, ended; flags for review;
coverage of the plan; and what others may not do."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.directory.kinds import PostKind, RiskGrade
from server.directory.qr import plate_code
from server.directory.tables import Place, Post
from server.errors import NotFound
from server.geo import EARTH_RADIUS_M
from server.patrols import inspections, review
from server.patrols.adapter import PatrolAdapter
from server.patrols.service import NewPlan, coverage, create_plan
from server.patrols.tables import CheckIn, Checkpoint, Patrol, TrackPoint
from server.syncing import service as syncing
from tests.integration.hazards.people import GRID_MEMBER, STATION, envelope, viewer

pytestmark = pytest.mark.db
METRE = math.degrees(1 / EARTH_RADIUS_M)
#: a phone that has not heard back since starting sends base_seq 0: its batches merge
ACCEPTED = ("applied", "merged")


def mutation(op: str, patrol_id: uuid.UUID, fields: dict[str, Any]) -> dict:
    return envelope(op, patrol_id, fields, entity="patrol", device=77)


def walk(lat: float, lng: float, n: int, start_ms: int, step_m: float = 10) -> list[dict]:
    """n fixes northwards from (lat, lng), one every 10 s."""
    return [
        {
            "id": str(uuid.uuid4()),
            "lat": lat + i * step_m * METRE,
            "lng": lng,
            "accuracy": 8,
            "at": start_ms + i * 10_000,
        }
        for i in range(n)
    ]


@pytest.fixture
async def setup(demo) -> dict:
    syncing.register(PatrolAdapter())
    grid = await viewer(GRID_MEMBER)
    station = await viewer(STATION)
    grid_path = next(p.area_path for p in grid.posts if p.kind is PostKind.grid_member)
    places = await Place.select().where(Place.area_path == grid_path).order_by(Place.code).limit(3)
    plan_id = await create_plan(
        station,
        NewPlan(
            "每日巡查",
            grid_path,
            [p["id"] for p in places],
            [grid.person_id],
        ),
    )
    return {"grid": grid, "station": station, "places": places, "plan_id": plan_id}


async def test_a_patrol_end_to_end(setup) -> None:
    grid, places, plan_id = setup["grid"], setup["places"], setup["plan_id"]
    patrol_id = uuid.uuid4()
    started = await syncing.submit(mutation("start", patrol_id, {"plan_id": str(plan_id)}), grid)
    assert started.verdict in ACCEPTED
    first, second = places[0], places[1]
    t0 = syncing.now_ms() - 600_000
    points = walk(first["lat"], first["lng"], 30, t0)
    batch = mutation("track", patrol_id, {"points": points[:20]})
    assert (await syncing.submit(batch, grid)).verdict in ACCEPTED
    again = {**batch, "mutation_id": str(uuid.uuid4())}  # the same points, sent again
    assert (await syncing.submit(again, grid)).verdict in ACCEPTED
    await syncing.submit(mutation("track", patrol_id, {"points": points[20:]}), grid)
    assert await TrackPoint.count().where(TrackPoint.patrol_id == patrol_id) == 30
    checkins = [
        {
            "id": str(uuid.uuid4()),
            "checkpoint_id": "",
            "method": "qr",
            "token": first["qr_token"],
            "result": "normal",
            "at": t0 + 60_000,
        },
        {
            "id": str(uuid.uuid4()),
            "checkpoint_id": "",
            "method": "geofence",
            "lat": second["lat"] + 20 * METRE,
            "lng": second["lng"],
            "accuracy": 12,
            "result": "hazard",
            "at": t0 + 120_000,
        },
    ]
    points_of = {
        r["place_id"]: r["id"]
        for r in await Checkpoint.select().where(Checkpoint.plan_id == plan_id)
    }
    checkins[0]["checkpoint_id"] = str(points_of[first["id"]])
    checkins[1]["checkpoint_id"] = str(points_of[second["id"]])
    done = await syncing.submit(mutation("checkin", patrol_id, {"checkins": checkins}), grid)
    assert done.verdict in ACCEPTED
    ended = await syncing.submit(mutation("end", patrol_id, {}), grid)
    assert ended.verdict in ACCEPTED
    patrol = await Patrol.select().where(Patrol.id == patrol_id).first()
    assert patrol["state"] == "ended" and patrol["points"] == 30
    assert patrol["distance_m"] == pytest.approx(290, abs=1)
    assert patrol["area_path"] == next(
        p.area_path for p in grid.posts if p.kind is PostKind.grid_member
    )
    stored = await CheckIn.select().where(CheckIn.patrol_id == patrol_id)
    assert len(stored) == 2 and not any(c["flagged"] for c in stored)
    by_method = {c["method"]: c for c in stored}
    assert by_method["geofence"]["distance_m"] == pytest.approx(20, abs=0.5)
    assert by_method["geofence"]["accuracy"] == 12
    assert by_method["qr"]["token"] == first["qr_token"]
    now = datetime.now(UTC)
    cover = await coverage(plan_id, now - timedelta(days=1), now + timedelta(minutes=1))
    assert cover.summary == "2/3" and len(cover.missed) == 1


async def test_flags_for_review_never_refusals(setup) -> None:
    grid, places, plan_id = setup["grid"], setup["places"], setup["plan_id"]
    patrol_id = uuid.uuid4()
    await syncing.submit(mutation("start", patrol_id, {"plan_id": str(plan_id)}), grid)
    t0 = syncing.now_ms() - 600_000
    points = walk(places[0]["lat"], places[0]["lng"], 5, t0)
    points.append(
        {
            **points[-1],
            "id": str(uuid.uuid4()),
            "lat": points[-1]["lat"] + 0.05,
            "at": points[-1]["at"] + 10_000,
        }
    )  # 5.5 km in 10 s
    assert (
        await syncing.submit(mutation("track", patrol_id, {"points": points}), grid)
    ).verdict in ACCEPTED
    patrol = await Patrol.select().where(Patrol.id == patrol_id).first()
    flags = (
        patrol["flags"]
        if isinstance(patrol["flags"], list)
        else __import__("json").loads(patrol["flags"])
    )
    assert [f["kind"] for f in flags] == ["speed"]
    point = await Checkpoint.select().where(Checkpoint.plan_id == plan_id).first()
    wrong = {
        "id": str(uuid.uuid4()),
        "checkpoint_id": str(point["id"]),
        "method": "qr",
        "token": "not-the-code",
        "result": "normal",
    }
    outside = {
        "id": str(uuid.uuid4()),
        "checkpoint_id": str(point["id"]),
        "method": "geofence",
        "lat": point["lat"] + 300 * METRE,
        "lng": point["lng"],
        "accuracy": 10,
    }
    result = await syncing.submit(
        mutation("checkin", patrol_id, {"checkins": [wrong, outside]}), grid
    )
    assert result.verdict in ACCEPTED
    stored = await CheckIn.select(CheckIn.flagged).where(CheckIn.patrol_id == patrol_id)
    assert [c["flagged"] for c in stored] == [True, True]
    now = datetime.now(UTC)
    assert (await coverage(plan_id, now - timedelta(days=1), now)).covered == []


async def test_what_others_may_not_do(setup) -> None:
    grid, station, plan_id = setup["grid"], setup["station"], setup["plan_id"]
    patrol_id = uuid.uuid4()
    await syncing.submit(mutation("start", patrol_id, {"plan_id": str(plan_id)}), grid)
    points = walk(30.0, 120.0, 3, syncing.now_ms() - 60_000)
    other = await syncing.submit(mutation("track", patrol_id, {"points": points}), station)
    assert other.verdict == "rejected" and "someone else" in other.reason
    missing = await syncing.submit(mutation("track", uuid.uuid4(), {"points": points}), grid)
    assert missing.verdict == "rejected"
    bad = await syncing.submit(mutation("track", patrol_id, {"points": [{"id": "x"}]}), grid)
    assert bad.verdict == "rejected"
    garbled = {**points[0], "id": str(uuid.uuid4()), "accuracy": "fast"}
    bad = await syncing.submit(mutation("track", patrol_id, {"points": [garbled]}), grid)
    assert bad.verdict == "rejected" and bad.reason == "A track point could not be read."
    elsewhere = await syncing.submit(
        mutation("start", uuid.uuid4(), {"area_path": "/nowhere/"}), grid
    )
    assert elsewhere.verdict == "rejected"


async def test_missed_checkpoints_are_flagged_once_after_the_window(setup) -> None:
    """Two of three checkpoints checked in yesterday (local time); the worker's pass today
    flags the third once, and tells the station and the assignee."""
    from server.notify.tables import Message
    from server.patrols.tables import PatrolMiss, PatrolPlan
    from server.patrols.windows import ZONE, flag_missed

    grid, station, places, plan_id = (
        setup["grid"],
        setup["station"],
        setup["places"],
        setup["plan_id"],
    )
    now = datetime.now(UTC)
    await PatrolPlan.update({PatrolPlan.created_at: now - timedelta(days=3)}).where(
        PatrolPlan.id == plan_id
    )
    yesterday = (now.astimezone(ZONE) - timedelta(days=1)).replace(hour=10, minute=0)
    at_ms = int(yesterday.timestamp() * 1000)
    patrol_id = uuid.uuid4()
    await syncing.submit(mutation("start", patrol_id, {"plan_id": str(plan_id)}), grid)
    points_of = {
        r["place_id"]: r["id"]
        for r in await Checkpoint.select().where(Checkpoint.plan_id == plan_id)
    }
    checkins = [
        {
            "id": str(uuid.uuid4()),
            "checkpoint_id": str(points_of[p["id"]]),
            "method": "qr",
            "token": p["qr_token"],
            "at": at_ms,
        }
        for p in places[:2]
    ]
    await syncing.submit(mutation("checkin", patrol_id, {"checkins": checkins}), grid)
    assert await flag_missed(now) == 1
    [miss] = await PatrolMiss.select().where(PatrolMiss.plan_id == plan_id)
    assert miss["checkpoint_id"] == points_of[places[2]["id"]]
    assert await flag_missed(now) == 0  # once per window
    for person in (station, grid):
        told = await Message.count().where(
            (Message.recipient_id == person.person_id) & (Message.kind == "patrol_missed")
        )
        assert told == 1


async def test_the_printed_plate_code_counts_as_typed(setup) -> None:
    """The code under the QR code, typed by hand (any case, without the dash, O for 0), counts
    as the scan does; the place's number (what plates printed before) is flagged; the phone
    reads the server's verdict per checkpoint."""
    grid, plan_id = setup["grid"], setup["plan_id"]
    patrol_id = uuid.uuid4()
    await syncing.submit(mutation("start", patrol_id, {"plan_id": str(plan_id)}), grid)
    first, second = await Checkpoint.select().where(Checkpoint.plan_id == plan_id).limit(2)
    printed = plate_code(first["qr_token"])
    assert len(printed) == 9 and printed[4] == "-"
    typed = printed.replace("-", " ").lower().replace("0", "o")
    place_number = (await Place.select(Place.code).where(Place.id == second["place_id"]).first())[
        "code"
    ]
    checkins = [
        {"id": str(uuid.uuid4()), "checkpoint_id": str(p["id"]), "method": "code", "token": t}
        for p, t in ((first, typed), (second, place_number))
    ]
    result = await syncing.submit(mutation("checkin", patrol_id, {"checkins": checkins}), grid)
    assert result.verdict in ACCEPTED
    flags = {
        c["checkpoint_id"]: c["flagged"]
        for c in await CheckIn.select().where(CheckIn.patrol_id == patrol_id)
    }
    assert flags == {first["id"]: False, second["id"]: True}
    said = {v["checkpoint_id"]: v for v in await review.verdicts(grid, patrol_id)}
    assert said[str(first["id"])]["flagged"] is False
    assert said[str(second["id"])]["why"] == review.WRONG_CODE
    elsewhere = (
        await Post.select(Post.person.mobile)
        .where((Post.kind == PostKind.grid_member.value) & (Post.person != grid.person_id))
        .first()
    )
    with pytest.raises(NotFound):  # another grid member's phone learns nothing of it
        await review.verdicts(await viewer(elsewhere["person.mobile"]), patrol_id)


async def test_inspection_frequency_follows_the_risk_grade(setup) -> None:
    """A place is due until it is checked in at; then again once its grade's interval has
    passed (重大 sooner than 低)."""
    grid, places, plan_id = setup["grid"], setup["places"], setup["plan_id"]
    now = datetime.now(UTC)
    before = {d.place.id for d in await inspections.due_in_my_grids(grid, now)}
    first = places[0]
    assert first["id"] in before  # never checked in at
    patrol_id = uuid.uuid4()
    await syncing.submit(mutation("start", patrol_id, {"plan_id": str(plan_id)}), grid)
    point = (
        await Checkpoint.select()
        .where((Checkpoint.plan_id == plan_id) & (Checkpoint.place_id == first["id"]))
        .first()
    )
    checkin = {
        "id": str(uuid.uuid4()),
        "checkpoint_id": str(point["id"]),
        "method": "qr",
        "token": first["qr_token"],
        "result": "normal",
        "at": syncing.now_ms() - 60_000,
    }
    done = await syncing.submit(mutation("checkin", patrol_id, {"checkins": [checkin]}), grid)
    assert done.verdict in ACCEPTED
    after = await inspections.due_in_my_grids(grid, now + timedelta(minutes=5))
    assert first["id"] not in {d.place.id for d in after}
    assert {d.place.id for d in after} == before - {first["id"]}
    grade = RiskGrade(first["risk_grade"])
    later = now + timedelta(days=grade.inspect_every_days, hours=1)
    assert first["id"] in {d.place.id for d in await inspections.due_in_my_grids(grid, later)}
    riskiest = [d.place.risk_grade for d in after]
    assert riskiest == sorted(riskiest, key=lambda g: g.value)  # 重大 first
