"""A tip-off from a resident without an account to its 办结, through the pages: the form
(a photo with EXIF GPS), the code, the status page; the station accepts it into a hazard,
replies; once the hazard is closed it is resolved. Photos served to the resident carry no
metadata; the handling staff see the original."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.directory.kinds import Level as AreaLevel
from server.directory.tables import Area
from server.hazards.tables import Hazard
from server.tipoffs.handling import settle
from server.tipoffs.tables import TipOff
from tests.integration.hazards.people import STATION, other_station, viewer
from tests.integration.helpers import csrf_token, log_in, post_form
from tests.integration.tipoffs.photos import metadata_of, phone_jpeg

pytestmark = pytest.mark.db


async def station_grid() -> tuple[str, float, float]:
    """A grid of the station's, and its centre."""
    station = await viewer(STATION)
    rows = await Area.select().where(Area.level == AreaLevel.grid.value)
    row = next(r for r in rows if station.scope.covers_path(r["path"]) and r["center_lat"])
    return row["path"], row["center_lat"], row["center_lng"]


async def send(client: AsyncTestClient, fields: dict, photos: list[bytes]):
    token = await csrf_token(client)
    files = [("photos", (f"p{i}.jpg", data, "image/jpeg")) for i, data in enumerate(photos)]
    return await client.post(
        "/tipoffs",
        data=fields,
        files=files or None,
        headers={"x-csrftoken": token},
        follow_redirects=False,
    )


async def test_a_tipoff_from_the_form_to_resolved(app: Litestar, demo) -> None:
    grid_path, lat, lng = await station_grid()
    photo = phone_jpeg(lat, lng)
    assert "gps" in metadata_of(photo)
    async with AsyncTestClient(app=app) as resident:
        form = (await resident.get("/tipoffs/new")).text
        assert 'enctype="multipart/form-data"' in form and "fire.ebike" in form
        fields = {
            "category": "fire.ebike",
            "description": "楼道里电动车充电，电线拖到楼梯口",
            "lat": str(lat),
            "lng": str(lng),
            "accuracy": "15",
            "name": "王女士",
            "mobile": "139 0000 1234",
        }
        sent = await send(resident, fields, [photo])
        assert sent.status_code == 303, sent.text
        link = sent.headers["location"]
        code = re.fullmatch(r"/t/([0-9A-Z-]+)\?new=1", link).group(1)
        page = (await resident.get(link)).text
        assert code in page and "已收到" in page and "王女士" not in page
        served = await resident.get(f"/t/{code}/photos/0")
        assert served.status_code == 200 and metadata_of(served.content) == {}
        # typed with slips: lower case, O for 0, spaces
        typed = code.lower().replace("0", "o").replace("-", " ")
        found = await resident.get("/tipoffs/track", params={"code": typed}, follow_redirects=False)
        assert found.status_code == 303 and found.headers["location"] == f"/t/{code}"
    row = await TipOff.select().where(TipOff.code == code).first()
    assert row["area_path"] == grid_path and row["mobile"] == "13900001234"
    assert row["number"].startswith("JB") and row["ip_hash"] and row["state"] == "received"

    async with AsyncTestClient(app=app) as station:
        assert (await log_in(station, STATION)).status_code == 303
        listed = (await station.get("/tipoffs")).text
        assert row["number"] in listed
        detail = (await station.get(f"/tipoffs/{row['id']}")).text
        assert "王女士" in detail and "13900001234" not in detail  # rewards staff only
        original = await station.get(f"/tipoffs/{row['id']}/photos/0/original")
        assert "gps" in metadata_of(original.content)  # the handling staff's evidence
        accepted = await post_form(
            station,
            f"/tipoffs/{row['id']}/accept",
            {"area_path": grid_path, "level": "general"},
        )
        assert accepted.status_code == 303, re.findall(r"error-box.*?</p>", accepted.text, re.S)
        again = await post_form(station, f"/tipoffs/{row['id']}/reject", {"reason": "重复"})
        assert again.status_code == 422 and "已处理" in again.text
        replied = await post_form(
            station, f"/tipoffs/{row['id']}/reply", {"reply": "已通知物业清理，谢谢您的举报。"}
        )
        assert replied.status_code == 303
    row = await TipOff.select().where(TipOff.id == row["id"]).first()
    hazard = await Hazard.select().where(Hazard.id == row["hazard_id"]).first()
    assert row["state"] == "accepted" and hazard["source"] == "tipoff"
    assert hazard["status"] == "accepted"  # accepting the tip-off triaged its hazard
    assert hazard["area_path"] == grid_path and "王女士" not in str(hazard)
    assert row["number"] in str(hazard["notes"])  # the hazard says where it came from
    assert [p["sha256"] for p in _json(hazard["photos_before"])] == [
        p["sha256"] for p in _json(row["photos"])
    ]
    assert await settle() == 0  # the hazard is still open
    await Hazard.update({Hazard.status: "closed"}).where(Hazard.id == hazard["id"])
    assert await settle() == 1
    async with AsyncTestClient(app=app) as resident:
        page = (await resident.get(f"/t/{code}")).text
        assert "已办结" in page and "已通知物业清理" in page and hazard["code"] in page
    async with AsyncTestClient(app=app) as elsewhere:
        assert (await log_in(elsewhere, await other_station())).status_code == 303
        assert (await elsewhere.get(f"/tipoffs/{row['id']}")).status_code == 404
        assert row["number"] not in (await elsewhere.get("/tipoffs")).text


def _json(value):
    import json

    return json.loads(value) if isinstance(value, str) else value


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"category": "", "description": "有隐患有隐患", "address": "x路1号"}, "选择隐患类别"),
        ({"category": "fire.ebike", "description": "短", "address": "x路1号"}, "5 到 2,000"),
        ({"category": "fire.ebike", "description": "有隐患有隐患"}, "定位"),
        (
            {
                "category": "fire.ebike",
                "description": "有隐患有隐患",
                "address": "a",
                "mobile": "12",
            },
            "11 位",
        ),
    ],
)
async def test_a_bad_form_keeps_what_was_typed(app: Litestar, demo, fields, message) -> None:
    async with AsyncTestClient(app=app) as resident:
        refused = await send(resident, fields, [])
        assert refused.status_code == 422
        assert message in refused.text
        if fields["description"]:
            assert fields["description"] in refused.text
    assert await TipOff.count() == 0


async def test_not_a_photo_is_refused_and_nothing_kept(app: Litestar, demo) -> None:
    fields = {"category": "fire.ebike", "description": "楼道堆放杂物", "address": "x路1号"}
    async with AsyncTestClient(app=app) as resident:
        refused = await send(resident, fields, [b"<svg onload=alert(1)>"])
        assert refused.status_code == 422 and "JPEG" in refused.text
    assert await TipOff.count() == 0


async def test_a_form_replayed_by_the_phone_is_one_tipoff(app: Litestar, demo) -> None:
    """The phone kept the form offline and sends it again when its first answer was lost:
    one tip-off, the same code; a refusal comes back as JSON with its reason."""
    fields = {
        "category": "fire.ebike",
        "description": "楼道电动车飞线充电",
        "address": "幸福路8号",
        "submission_id": "0b6f7c1e-5d0a-4a52-9a7e-3c1f0e2d9b11",
    }
    async with AsyncTestClient(app=app) as phone:
        token = await csrf_token(phone)
        headers = {"x-csrftoken": token, "accept": "application/json"}
        first = await phone.post("/tipoffs", data=fields, headers=headers)
        again = await phone.post("/tipoffs", data=fields, headers=headers)
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json() and first.json()["url"] == f"/t/{first.json()['code']}"
        bad = await phone.post(
            "/tipoffs", data={**fields, "submission_id": "", "category": ""}, headers=headers
        )
        assert bad.status_code == 422 and "类别" in bad.json()["error"]
    assert await TipOff.count() == 1


async def test_the_reporter_is_told_by_push(app: Litestar, demo) -> None:
    """The reporter's browser subscribes from the tracking page (no account); when the station
    accepts and replies, each step is queued for web push to it, linking to the page."""
    from server.notify.tables import Delivery, Message

    grid_path, lat, lng = await station_grid()
    subscription = {
        "endpoint": "http://127.0.0.1:9/push/reporter-browser",
        "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22},
    }
    async with AsyncTestClient(app=app) as resident:
        fields = {"category": "fire.ebike", "description": "楼道电动车飞线充电"}
        sent = await send(resident, {**fields, "lat": str(lat), "lng": str(lng)}, [])
        code = re.search(r"/t/([0-9A-Z-]+)", sent.headers["location"]).group(1)
        page = (await resident.get(f"/t/{code}")).text
        assert f'data-subscribe-url="/t/{code}/subscriptions"' in page
        assert (await resident.get("/notify/key")).status_code == 200  # the public VAPID key
        made = await resident.post(f"/t/{code}/subscriptions", json=subscription)
        assert made.status_code == 200, made.text
        as_form = await resident.post(f"/t/{code}/subscriptions", data={"endpoint": "x"})
        assert as_form.status_code in (400, 415)  # JSON only
        nobody = await resident.post("/t/AAAAA-AAAAA-AAAAA-AAAAA/subscriptions", json=subscription)
        assert nobody.status_code == 404
    row = await TipOff.select().where(TipOff.code == code).first()
    async with AsyncTestClient(app=app) as station:
        assert (await log_in(station, STATION)).status_code == 303
        await post_form(
            station, f"/tipoffs/{row['id']}/accept", {"area_path": grid_path, "level": "general"}
        )
        await post_form(station, f"/tipoffs/{row['id']}/reply", {"reply": "已安排处理"})
    told = (
        await Message.select().where(Message.recipient_id == row["id"]).order_by(Message.created_at)
    )
    assert [m["title"] for m in told] == [
        f"您的举报 {row['number']} 已受理。",
        f"您的举报 {row['number']} 有新回复。",
    ]
    assert all(m["url"] == f"/t/{code}" for m in told)
    deliveries = await Delivery.select().where(Delivery.recipient_id == row["id"])
    assert len(deliveries) == 2 and {d["channel"] for d in deliveries} == {"webpush"}


async def test_the_block_list(app: Litestar, demo, settings) -> None:
    """A blocked address, mobile number or word: refused with a message, nothing stored; the
    address is kept only as its keyed hash; unblocked, the same tip-off is taken."""
    from server.tipoffs import limits
    from server.tipoffs.tables import BlockEntry

    fields = {"category": "fire.ebike", "description": "楼道电动车飞线充电", "address": "幸福路8号"}
    await limits.block("ip", "testclient", "刷单", settings.secret_key)  # the test client's
    assert await BlockEntry.exists().where(BlockEntry.value == "testclient") is False
    await limits.block("word", "代开发票", "广告", settings.secret_key)
    async with AsyncTestClient(app=app) as resident:
        refused = await send(resident, fields, [])
        assert refused.status_code == 403 and "暂时无法受理" in refused.text
        assert await limits.unblock("ip", "testclient", settings.secret_key) == 1
        advert = await send(resident, {**fields, "description": "代开发票，联系我"}, [])
        assert advert.status_code == 403
        assert (await send(resident, fields, [])).status_code == 303
    assert await TipOff.count() == 1
    with pytest.raises(ValueError):
        await limits.block("email", "a@b.c", "", settings.secret_key)


async def test_a_webp_original_is_served_as_webp(app: Litestar, demo) -> None:
    """The copy without metadata is a JPEG; the original keeps its own type for the staff."""
    import io

    from PIL import Image

    grid_path, lat, lng = await station_grid()
    webp = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(webp, format="WEBP")
    fields = {"category": "fire.ebike", "description": "楼道电动车飞线充电"}
    async with AsyncTestClient(app=app) as resident:
        sent = await send(resident, {**fields, "lat": str(lat), "lng": str(lng)}, [webp.getvalue()])
        copy = await resident.get(sent.headers["location"].split("?")[0] + "/photos/0")
        assert copy.headers["content-type"] == "image/jpeg"
    row = await TipOff.select().first()
    async with AsyncTestClient(app=app) as station:
        assert (await log_in(station, STATION)).status_code == 303
        original = await station.get(f"/tipoffs/{row['id']}/photos/0/original")
        assert original.headers["content-type"] == "image/webp"
        assert original.content == webp.getvalue() and grid_path == row["area_path"]
