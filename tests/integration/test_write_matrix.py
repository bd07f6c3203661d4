"""The write-side access matrix: every hazard op as people standing in every relation to the
hazard (its grid, another grid, another town, another county, up the chain), through the
real sync path; only the allowed ones change anything. The stored row is compared, not only
the verdict. The expectations are written out by hand: the test holds the code to them.

Also the attacks that were found (issue 14, finding 1): a create re-sent on an existing
record, by the sync endpoint and by the plain form, and a patrol's start re-sent."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.auth.service import Viewer
from server.directory import departments
from server.directory.tables import Post
from server.hazards.policy import OPS
from server.hazards.tables import Hazard, HazardEvent
from server.patrols.tables import Patrol
from tests.integration.cast import RELATIONS, UP_THE_CHAIN
from tests.integration.hazards.people import (
    FIVE,
    envelope,
    hazard_in,
    report_fields,
    send,
)
from tests.integration.helpers import log_in, post_form

pytestmark = pytest.mark.db

#: who may send each op, by the hazard policy's table (server/hazards/policy.py)
SCOPE = {"grid", "duty_officer", "flood_admin", *UP_THE_CHAIN}
ALLOWED = {
    "add_photos": SCOPE,
    "follow": SCOPE,
    "note": SCOPE,
    "relocate": SCOPE,
    "accept": UP_THE_CHAIN,
    "reject": UP_THE_CHAIN,
    "set_level": UP_THE_CHAIN,
    "assign": UP_THE_CHAIN,
    "rectify": {"grid", *UP_THE_CHAIN},
    "request_extension": {"grid", *UP_THE_CHAIN},
    "decide_extension": UP_THE_CHAIN,
    "verify": UP_THE_CHAIN,
    "send_back": UP_THE_CHAIN,
    "supervise": {"district_bureau", "city_bureau", "admin"},
    "merge": UP_THE_CHAIN,
    "report": set(),  # never on an existing hazard, whoever sends it
    "transfer": UP_THE_CHAIN,
    # only the department it went to (hazards/test_casework): nobody of the cast
    "decline_transfer": set(),
    "recheck": {"grid", *UP_THE_CHAIN},
    # the supervising unit only: FIVE supervises at city level, so the city's bureau
    "close_supervision": {"city_bureau"},
}
ASSIGN = {"assignee_unit": "物业公司", "measures": "拆除飞线", "deadline": "2030-01-01"}
#: op -> (the status the hazard is in, its level, the fields sent)
CASES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "add_photos": ("reported", "general", {"photos_before": ["e" * 64]}),
    "follow": ("reported", "general", {"followers": [str(uuid.UUID(int=5))]}),
    "note": ("reported", "general", {"notes": "物业已知悉"}),
    "relocate": ("reported", "general", {"lat": "30.1005", "lng": "120.1005"}),
    "accept": ("reported", "general", {}),
    "reject": ("reported", "general", {"reject_reason": "not_hazard"}),
    "set_level": ("reported", "general", {"level": "major"}),
    "assign": ("accepted", "general", ASSIGN),
    "rectify": ("assigned", "general", {"photos_after": ["c" * 64], "rectify_note": "已拆除"}),
    "request_extension": (
        "assigned",
        "general",
        {"extension_until": "2030-02-01", "extension_reason": "雨季"},
    ),
    "decide_extension": ("assigned", "general", {"deadline": "2030-03-01"}),
    "verify": ("rectified", "general", {"verify_note": "已复核"}),
    "send_back": ("rectified", "general", {"sendback_reason": "照片不清"}),
    "supervise": ("reported", "major", FIVE),
    "merge": ("reported", "general", {}),  # merged_into: a second hazard of the same grid
    "report": ("reported", "general", {}),  # fields: a report of the attacker's own grid
    "transfer": ("reported", "general", {}),  # department_id: the city's for the sector
    "decline_transfer": ("transferred", "general", {"transfer_note": "不属本部门"}),
    "recheck": (
        "closed",
        "major",
        {"recheck_result": "not_fixed", "photos_after": ["e" * 64]},
    ),
    "close_supervision": ("supervised_closed", "major", {"delisted_on": "2030-01-02"}),
}
ON_SITE = {"photos_after": ["d" * 64], "verify_lat": "30.1", "verify_lng": "120.1"}


async def _department() -> str:
    """The city's department for gas (the demo's 住建局), over every grid of the city."""
    over = await departments.departments_over("/339900/339901/")
    return str(departments.responsible(over, "gas").id)


async def _hazard(status: str, people: dict[str, Viewer], level: str) -> uuid.UUID:
    """A hazard brought to `status` (with the steps the new ops need: a transfer, an on-site
    closure of a major one, a supervision)."""
    if status == "transferred":
        hazard_id = await hazard_in("reported", people, level=level)
        fields = {"department_id": await _department()}
        assert (await send(people["station"], "transfer", hazard_id, fields)).verdict == "applied"
        return hazard_id
    if status in ("closed", "supervised_closed") and level == "major":
        hazard_id = await hazard_in("rectified", people, level=level)
        if status == "supervised_closed":
            done = await send(people["bureau"], "supervise", hazard_id, FIVE)
            assert done.verdict == "applied", done.reason
        done = await send(people["station"], "verify", hazard_id, ON_SITE)
        assert done.verdict == "applied", done.reason
        return hazard_id
    return await hazard_in(status, people, level=level)


async def _stored(hazard_id: uuid.UUID) -> tuple[dict, int]:
    row = await Hazard.select().where(Hazard.id == hazard_id).output(load_json=True).first()
    events = await HazardEvent.count().where(HazardEvent.hazard_id == hazard_id)
    return row, events


async def _fields(op: str, cast: dict[str, Viewer], who: Viewer, base: dict) -> dict:
    if op == "merge":
        people = {"grid": cast["grid"], "station": cast["station"]}
        return {"merged_into": str(await hazard_in("reported", people))}
    if op == "report":
        own = next((p.area_path for p in who.posts), "/339900/")
        return report_fields(cast["grid"], area_path=own, description="改写")
    if op == "transfer":
        return {"department_id": await _department()}
    return base


def test_every_hazard_op_is_in_the_matrix() -> None:
    assert set(CASES) == set(OPS) == set(ALLOWED)


@pytest.mark.parametrize("op", sorted(CASES))
async def test_only_the_allowed_change_a_hazard(cast, op: str) -> None:
    status, level, base = CASES[op]
    people = {"grid": cast["grid"], "station": cast["station"], "bureau": cast["city_bureau"]}
    denied = [name for name in RELATIONS if name not in ALLOWED[op]]
    hazard_id = await _hazard(status, people, level)
    before = await _stored(hazard_id)
    for name in denied:  # all of them against one hazard: none may change it
        who = cast[name]
        fields = await _fields(op, cast, who, base)
        result = await send(who, op, hazard_id, fields, base_seq=10**9)
        assert result.verdict == "rejected", (op, name, result)
        assert await _stored(hazard_id) == before, (op, name, "changed the stored hazard")
    for name in sorted(ALLOWED[op]):  # each on a hazard of its own
        hazard_id = await _hazard(status, people, level)
        before = await _stored(hazard_id)
        fields = await _fields(op, cast, cast[name], base)
        result = await send(cast[name], op, hazard_id, fields)
        assert result.verdict in ("applied", "merged"), (op, name, result.reason)
        assert await _stored(hazard_id) != before, (op, name, "changed nothing")


async def test_a_report_resent_on_an_existing_hazard_moves_nothing(cast) -> None:
    """Finding 1: a grid member of another county re-sends op report with the id of a
    hazard he does not see, his own grid as its area and a huge base_seq."""
    people = {"grid": cast["grid"], "station": cast["station"]}
    hazard_id = await hazard_in("accepted", people)
    before = await _stored(hazard_id)
    attacker = cast["grid_other_county"]
    own = next(p.area_path for p in attacker.posts)
    fields = report_fields(cast["grid"], area_path=own, description="已处理，无需跟进")
    result = await send(attacker, "report", hazard_id, fields, base_seq=2**40)
    assert result.verdict == "rejected"
    assert await _stored(hazard_id) == before
    # the reporter and the station still see it where it was
    row, _ = before
    assert row["area_path"] != own


async def test_a_report_form_posted_with_an_existing_id_changes_nothing(cast, app) -> None:
    """Finding 1 through the plain form POST, as station staff of another town."""
    people = {"grid": cast["grid"], "station": cast["station"]}
    hazard_id = await hazard_in("reported", people)
    before = await _stored(hazard_id)
    attacker = cast["station_other_town"]
    own = next(p.area_path for p in attacker.posts)
    form = {
        **{k: v for k, v in report_fields(cast["grid"]).items() if isinstance(v, str)},
        "area_path": own + "x/",
        "description": "改写",
        "record_id": str(hazard_id),
        "mutation_id": str(uuid.uuid4()),
        "base_seq": "999999",
        "hlc": "",
    }
    async with AsyncTestClient(app) as client:
        mobile = (
            await Post.select(Post.person.mobile.as_alias("m"))
            .where(Post.person == attacker.person_id)
            .first()
        )["m"]
        assert (await log_in(client, mobile)).status_code == 303
        answer = await post_form(client, "/hazards", form)
    assert answer.status_code in (403, 404, 422)
    assert await _stored(hazard_id) == before


async def test_a_patrol_start_resent_on_someone_elses_patrol(cast) -> None:
    """Finding 1: op start with the id of another person's patrol does not move it."""
    from server.syncing import service as syncing

    walker, other = cast["grid"], cast["grid_other_county"]
    patrol_id = uuid.uuid4()
    mine = {"area_path": next(p.area_path for p in walker.posts)}
    started = await syncing.submit(envelope("start", patrol_id, mine, entity="patrol"), walker)
    assert started is not None and started.verdict == "applied", started
    before = await Patrol.select().where(Patrol.id == patrol_id).first()
    theirs = {"area_path": next(p.area_path for p in other.posts)}
    again = await syncing.submit(
        envelope("start", patrol_id, theirs, base_seq=2**40, entity="patrol", device=9), other
    )
    assert again is not None and again.verdict == "rejected"
    assert await Patrol.select().where(Patrol.id == patrol_id).first() == before


@pytest.mark.parametrize("op", ["track", "end"])
async def test_only_the_walker_changes_a_patrol(cast, op: str) -> None:
    """A patrol's ops (a track, its end) sent on the grid member's patrol by every other
    relation change nothing: a patrol is its walker's alone (stored rows compared)."""
    from server.patrols.tables import TrackPoint
    from server.syncing import service as syncing
    from tests.integration.patrols.test_sync import walk

    walker = cast["grid"]
    patrol_id = uuid.uuid4()
    mine = {"area_path": next(p.area_path for p in walker.posts)}
    started = await syncing.submit(envelope("start", patrol_id, mine, entity="patrol"), walker)
    assert started.accepted, started

    async def stored() -> tuple[Any, int]:
        row = await Patrol.select().where(Patrol.id == patrol_id).first()
        return row, await TrackPoint.count().where(TrackPoint.patrol_id == patrol_id)

    def fields() -> dict[str, Any]:
        return {"points": walk(30.1, 120.1, 3, syncing.now_ms() - 60_000)} if op == "track" else {}

    before = await stored()
    for name in sorted(set(RELATIONS) - {"grid"}):
        answer = await syncing.submit(
            envelope(op, patrol_id, fields(), base_seq=2**40, entity="patrol", device=11),
            cast[name],
        )
        assert answer.verdict == "rejected", (name, answer)
    assert await stored() == before
    mine = await syncing.submit(envelope(op, patrol_id, fields(), entity="patrol"), walker)
    assert mine.accepted, mine
    assert await stored() != before
