"""Every hazard transition and its role rule, through the real sync path and database:
the allowed ones apply, the refused ones are rejected with a reason, and a step that is not
valid from where the hazard is (evidence after closure) is kept as an addendum, not lost."""

from __future__ import annotations

import pytest

from server.hazards.adapter import HazardAdapter
from server.hazards.service import get, timeline
from server.hazards.tables import HazardEvent
from server.syncing.service import register
from sync.tables import SyncConflict
from tests.integration.hazards.people import (
    CITY_BUREAU,
    FIVE,
    GRID_MEMBER,
    STATION,
    hazard_in,
    other_station,
    send,
    viewer,
)

pytestmark = pytest.mark.db

ASSIGN = {"assignee_unit": "物业公司", "measures": "拆除飞线", "deadline": "2030-01-01"}
AFTER = {"photos_after": ["c" * 64], "rectify_note": "已拆除"}

# (hazard status, level, who, op, fields, verdict, status after, reason fragment)
CASES = [
    ("reported", "general", "station", "accept", {}, "applied", "accepted", ""),
    ("reported", "general", "grid", "accept", {}, "rejected", "reported", "Only station"),
    ("reported", "general", "elsewhere", "accept", {}, "rejected", "reported", "outside"),
    (
        "reported",
        "general",
        "station",
        "reject",
        {"reject_reason": "duplicate"},
        "applied",
        "rejected",
        "",
    ),
    ("reported", "general", "station", "reject", {}, "rejected", "reported", "Choose why"),
    ("rejected", "general", "station", "accept", {}, "applied", "accepted", ""),
    ("accepted", "general", "station", "assign", ASSIGN, "applied", "assigned", ""),
    ("accepted", "general", "grid", "assign", ASSIGN, "rejected", "accepted", "Only station"),
    (
        "accepted",
        "general",
        "station",
        "assign",
        {**ASSIGN, "deadline": ""},
        "rejected",
        "accepted",
        "deadline",
    ),
    ("assigned", "general", "grid", "rectify", AFTER, "applied", "rectified", ""),
    (
        "assigned",
        "general",
        "grid",
        "rectify",
        {"rectify_note": "x"},
        "rejected",
        "assigned",
        "photo",
    ),
    ("assigned", "general", "elsewhere", "rectify", AFTER, "rejected", "assigned", "outside"),
    ("reported", "general", "grid", "rectify", AFTER, "conflicted", "reported", ""),
    (
        "assigned",
        "general",
        "station",
        "reject",
        {"reject_reason": "outside"},
        "conflicted",
        "assigned",
        "",
    ),
    (
        "assigned",
        "general",
        "grid",
        "request_extension",
        {"extension_until": "2030-02-01", "extension_reason": "雨季"},
        "applied",
        "assigned",
        "",
    ),
    (
        "assigned",
        "general",
        "grid",
        "decide_extension",
        {"deadline": "2030-02-01"},
        "rejected",
        "assigned",
        "Only station",
    ),
    ("rectified", "general", "station", "verify", {}, "applied", "closed", ""),
    ("rectified", "general", "grid", "verify", {}, "rejected", "rectified", "Only station"),
    ("accepted", "general", "station", "verify", {}, "rejected", "accepted", "photo taken after"),
    ("rectified", "major", "station", "verify", {}, "rejected", "rectified", "on site"),
    (
        "rectified",
        "major",
        "station",
        "verify",
        {"photos_after": ["d" * 64], "verify_lat": "30.1003", "verify_lng": "120.1"},
        "applied",
        "closed",
        "",
    ),
    (
        "rectified",
        "major",
        "station",
        "verify",
        {"photos_after": ["d" * 64], "verify_lat": "30.2", "verify_lng": "120.1"},
        "rejected",
        "rectified",
        "too far",
    ),
    (
        "rectified",
        "general",
        "station",
        "send_back",
        {"sendback_reason": "照片不清"},
        "applied",
        "assigned",
        "",
    ),
    ("rectified", "general", "station", "send_back", {}, "rejected", "rectified", "reason"),
    (
        "closed",
        "general",
        "station",
        "send_back",
        {"sendback_reason": "复查仍有飞线"},
        "applied",
        "assigned",
        "",
    ),
    ("closed", "general", "grid", "rectify", AFTER, "conflicted", "closed", ""),
    ("reported", "major", "bureau", "supervise", FIVE, "applied", "reported", ""),
    ("reported", "general", "bureau", "supervise", FIVE, "rejected", "reported", "major"),
    ("reported", "major", "station", "supervise", FIVE, "rejected", "reported", "bureau"),
    (
        "reported",
        "major",
        "bureau",
        "supervise",
        {**FIVE, "supervision_funds": ""},
        "rejected",
        "reported",
        "all five",
    ),
    ("reported", "general", "grid", "note", {"notes": "物业已知悉"}, "applied", "reported", ""),
    ("reported", "general", "station", "set_level", {"level": "major"}, "applied", "reported", ""),
    ("reported", "general", "grid", "report", {}, "rejected", "reported", ""),
    (
        "reported",
        "general",
        "grid",
        "accept",
        {"status": "closed"},
        "rejected",
        "reported",
        "Only station",
    ),
    (
        "reported",
        "general",
        "station",
        "accept",
        {"assignee_unit": "x"},
        "rejected",
        "reported",
        "does not take",
    ),
    ("reported", "general", "station", "fly", {}, "rejected", "reported", "not known"),
]


@pytest.fixture
async def people(demo) -> dict:
    register(HazardAdapter(verify_distance_m=100))  # what create_app does
    return {
        "grid": await viewer(GRID_MEMBER),
        "station": await viewer(STATION),
        "bureau": await viewer(CITY_BUREAU),
        "elsewhere": await viewer(await other_station()),
    }


@pytest.mark.parametrize(
    ("start", "level", "who", "op", "fields", "verdict", "after", "reason"), CASES
)
async def test_transition(people, start, level, who, op, fields, verdict, after, reason) -> None:
    record_id = await hazard_in(start, people, level=level)
    events_before = await HazardEvent.count().where(HazardEvent.hazard_id == record_id)
    result = await send(people[who], op, record_id, dict(fields))
    assert result.verdict == verdict, result.reason
    assert reason.lower() in result.reason.lower()
    hazard = await get(people["station"], record_id)
    assert hazard.status.value == after
    events = await HazardEvent.count().where(HazardEvent.hazard_id == record_id)
    if verdict == "rejected":
        assert events == events_before  # a refusal leaves the timeline alone (it is in the log)
    else:
        assert events == events_before + 1


async def test_evidence_after_closure_is_an_addendum_and_a_conflict(people) -> None:
    record_id = await hazard_in("closed", people)
    late = await send(people["grid"], "rectify", record_id, {"photos_after": ["e" * 64]})
    assert late.verdict == "conflicted"
    hazard = await get(people["station"], record_id)
    assert hazard.status.value == "closed"  # not reopened silently
    assert {"id": "e" * 64, "sha256": "e" * 64} in hazard.photos_after  # not lost
    [last] = (await timeline(record_id))[-1:]
    assert last.kind == "rectify" and last.addendum
    conflict = await SyncConflict.select().where(SyncConflict.record_id == record_id).first()
    assert conflict["field"] == "status" and conflict["winner"] == "server"


async def test_a_retried_mutation_is_applied_once(people) -> None:
    import uuid

    from server.syncing import service as syncing
    from tests.integration.hazards.people import envelope, report_fields

    record_id = uuid.uuid4()
    raw = envelope("report", record_id, report_fields(people["grid"]))
    first = await syncing.submit(raw, people["grid"])
    again = await syncing.submit(raw, people["grid"])
    assert first.verdict == "applied" and again.replayed and again.seq == first.seq
    assert await HazardEvent.count().where(HazardEvent.hazard_id == record_id) == 1


async def test_merging_a_duplicate_keeps_its_photos_and_reporter(people) -> None:
    original = await hazard_in("accepted", people)
    duplicate = await hazard_in("reported", people, photos_before=["9" * 64])
    bad = await send(people["station"], "merge", duplicate, {"merged_into": str(duplicate)})
    assert bad.verdict == "rejected"
    merged = await send(people["station"], "merge", duplicate, {"merged_into": str(original)})
    assert merged.verdict == "applied", merged.reason
    target = await get(people["station"], original)
    assert {"id": "9" * 64, "sha256": "9" * 64} in target.photos_before
    assert {"id": str(people["grid"].person_id)} in target.followers
    assert (await timeline(original))[-1].kind == "merge_in"
    assert (await get(people["station"], duplicate)).status.value == "merged"
    again = await send(people["station"], "accept", duplicate, {})
    assert again.verdict == "conflicted"  # merged is final: kept as an addendum


async def test_supervised_hazards_are_listed_and_chased_up(people) -> None:
    from server.hazards.records import Filters
    from server.hazards.service import ledger

    major = await hazard_in("reported", people, level="major")
    await hazard_in("reported", people, level="major")
    listed = await send(people["bureau"], "supervise", major, dict(FIVE))
    assert listed.verdict == "applied"
    page = await ledger(people["bureau"], Filters(supervised=True))
    assert [h.id for h in page.items] == [major] and page.items[0].supervised_level == "city"


async def test_numbers_count_the_day_without_gaps(people) -> None:
    """A refused write and another record's writes take sync positions; the numbers of a
    day's hazards still run 1, 2, 3 (a gap in a ledger reads as a deleted record)."""
    import uuid

    from server import localtime
    from server.hazards.tables import Hazard
    from tests.integration.hazards.people import report_fields

    day = f"YH{localtime.today():%Y%m%d}-"
    before = await Hazard.count().where(Hazard.code.like(day + "%"))
    made = []
    for _ in range(3):
        record_id = uuid.uuid4()
        assert (
            await send(people["grid"], "report", record_id, report_fields(people["grid"]))
        ).accepted
        made.append(record_id)
        refused = await send(people["elsewhere"], "accept", record_id, {})  # takes a position
        assert refused.verdict == "rejected"
    codes = [(await get(people["station"], r)).code for r in made]
    assert codes == [f"{day}{before + n:04d}" for n in (1, 2, 3)]


async def test_the_station_and_the_reporter_are_told(people) -> None:
    """A new report reaches the station's inbox; the reporter hears when it is accepted, sent
    back and closed; nobody is told of their own act."""
    from server.hazards.tables import HazardNotice

    async def told(who: str, record_id) -> list[str]:
        rows = await HazardNotice.select(HazardNotice.kind).where(
            (HazardNotice.person_id == people[who].person_id)
            & (HazardNotice.hazard_id == record_id)
        )
        return sorted(r["kind"] for r in rows)

    record_id = await hazard_in("reported", people)
    assert await told("station", record_id) == ["reported"]
    assert await told("grid", record_id) == []
    record_id = await hazard_in("closed", people)
    assert await told("grid", record_id) == ["accepted", "closed"]
    sent = await send(people["station"], "send_back", record_id, {"sendback_reason": "照片不清"})
    assert sent.accepted
    assert await told("grid", record_id) == ["accepted", "closed", "sent_back"]


async def test_the_person_whose_value_lost_sees_the_conflict_too(people) -> None:
    """The grid member's rectification note, overwritten by the station's concurrent one,
    is in the grid member's conflict inbox, not only the station's."""
    from server.syncing import service as syncing

    record_id = await hazard_in("assigned", people)
    seen = (await get(people["station"], record_id)).seq
    photo = {"photos_after": ["c" * 64]}
    mine = await send(people["grid"], "rectify", record_id, {**photo, "rectify_note": "已拆"}, seen)
    theirs = await send(
        people["station"], "rectify", record_id, {**photo, "rectify_note": "已拆除并复查"}, seen
    )
    assert mine.accepted and theirs.conflicts >= 1
    fields = {c.field for c in await syncing.conflicts(people["grid"])}
    assert "rectify_note" in fields


async def test_the_ledger_pages_by_keyset_and_counts_no_further_than_its_cap(
    people, monkeypatch
) -> None:
    """ "Next" continues from the last row shown (no offset, no row twice or skipped), and
    the count stops at its cap, saying so."""
    from server.hazards import service
    from server.hazards.records import Filters

    made = {await hazard_in("reported", people) for _ in range(7)}
    bureau, filters = people["bureau"], Filters(status="reported")
    first = await service.ledger(bureau, filters, per_page=3)
    assert (first.total, first.capped, len(first.items)) == (7, False, 3) and first.after
    seen = [h.id for h in first.items]
    page = first
    while page.after:
        page = await service.ledger(
            bureau, filters, page=page.number + 1, after=page.after, per_page=3
        )
        seen += [h.id for h in page.items]
    assert len(seen) == len(set(seen)) and set(seen) == made
    assert page.number == 3 and not page.has_next
    by_offset = await service.ledger(bureau, filters, page=2, per_page=3)  # a shared link
    assert [h.id for h in by_offset.items] == seen[3:6]
    junk = await service.ledger(bureau, filters, after="nonsense~1", per_page=3)
    assert [h.id for h in junk.items] == seen[:3]  # a bad cursor reads the first page
    monkeypatch.setattr(service, "COUNT_CAP", 5)
    capped = await service.ledger(bureau, filters, per_page=3)
    assert (capped.total, capped.capped) == (5, True)
