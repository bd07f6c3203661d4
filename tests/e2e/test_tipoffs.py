"""A resident without an account reports a hazard on a phone (375x667) with a photo that
carries EXIF GPS, gets a tracking code and looks it up; the station accepts the tip-off into
a hazard, replies, and closes the hazard through its loop; the resident sees the reply and
办结, and the photo as served carries no metadata."""

from __future__ import annotations

import sqlite3

from playwright.async_api import Browser, Page

from server.settings import sqlite_path
from tests.e2e.conftest import PHONE
from tests.e2e.pages.hazards import HazardPage
from tests.e2e.pages.login import LoginPage
from tests.e2e.pages.shell import Shell, overflow
from tests.integration.tipoffs.photos import metadata_of, phone_jpeg
from tests.live import LiveServer

GRID_MEMBER = "13900000007"
STATION = "13900000005"


def grid_centre(db: str) -> tuple[float, float]:
    with sqlite3.connect(db) as conn:
        [(lat, lng)] = conn.execute(
            "SELECT area.center_lat, area.center_lng FROM area JOIN post ON post.area_path ="
            " area.path JOIN person ON person.id = post.person WHERE person.mobile = ? AND"
            " post.kind = 'grid_member'",
            (GRID_MEMBER,),
        )
    return lat, lng


async def test_a_resident_tipoff_to_its_reply(
    live_server: LiveServer, browser: Browser, page: Page
) -> None:
    base = live_server.url
    lat, lng = grid_centre(str(sqlite_path(live_server.env["DATABASE_URL"])))
    phone = await browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": lat, "longitude": lng, "accuracy": 20},
    )
    await phone.grant_permissions(["geolocation"], origin=base)
    resident = await phone.new_page()
    errors: list[str] = []
    resident.on("pageerror", lambda e: errors.append(str(e)))
    await resident.goto(base + "/tipoffs/new")
    assert await overflow(resident) <= 0
    await resident.get_by_label("隐患类别").select_option("fire.ebike")
    await resident.get_by_label("您看到了什么").fill(
        "5号楼楼道里有人给电动车充电，电线从窗户拉进来"
    )
    await resident.get_by_role("button", name="获取我的位置").click()
    await resident.locator("input[name=lat]:not([value=''])").wait_for(state="attached")
    photo = phone_jpeg(lat, lng)
    assert "gps" in metadata_of(photo)  # the photo as the phone took it says where
    await resident.get_by_label("照片（最多 6 张）").set_input_files(
        files=[{"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    chosen = resident.locator("#chosen-photos")  # the resident sees what will go
    await chosen.locator("img.thumb").wait_for()
    assert "已选照片：1 张" in await chosen.inner_text()
    # a refused send (a mobile mistyped) says why and keeps everything, the photo too
    await resident.get_by_text("姓名和手机号（可不填）").click()
    await resident.get_by_label("手机号").fill("1380013")
    await resident.get_by_role("button", name="提交举报").click()
    refused = resident.locator("#tipoff-form [data-send-error]")
    await refused.wait_for()
    assert "11 位" in await refused.inner_text()
    picked = resident.get_by_label("照片（最多 6 张）")
    assert await picked.evaluate("(input) => input.files.length") == 1
    assert "已选照片：1 张" in await chosen.inner_text()
    await resident.get_by_label("手机号").fill("")
    await resident.get_by_role("button", name="提交举报").click()
    await resident.locator("#tracking-code").wait_for()
    code = (await resident.locator("#tracking-code").inner_text()).strip()
    assert await resident.get_by_text("感谢您的举报").count() == 1
    assert await overflow(resident) <= 0

    # later, from anywhere: the code typed in (lower case, spaces instead of hyphens)
    await resident.goto(base + "/tipoffs/track")
    await resident.get_by_label("查询码").fill(code.lower().replace("-", " "))
    await resident.get_by_role("button", name="查询").click()
    await resident.get_by_text("已收到，等待处理").wait_for()
    served = await resident.request.get(f"{base}/t/{code}/photos/0")
    assert served.ok and metadata_of(await served.body()) == {}  # no GPS, no phone, no time
    number = (await resident.locator("h1").inner_text()).split()[-1]

    await LoginPage(page, base).as_person(STATION)
    await page.goto(base + "/tipoffs?state=received")
    await page.get_by_role("link", name=number).click()
    await page.locator("#accept-form").get_by_role("button", name="受理").click()
    await page.locator("#tipoff-hazard").wait_for()
    await page.locator("#reply-form textarea").fill("已转交网格员处理，电线已拆除。感谢您的举报！")
    await page.locator("#reply-form").get_by_role("button", name="发送回复").click()
    await page.locator("#tipoff-reply").wait_for()
    hazard_id = (await page.locator("#tipoff-hazard").get_attribute("href") or "").rsplit("/")[-1]
    hazard = HazardPage(page, base)
    await hazard.open(hazard_id)
    assert await hazard.status() == "已受理"  # accepting the tip-off triaged its hazard
    await hazard.assign("5号楼物业", GRID_MEMBER, "拆除飞线")
    await hazard.rectify(
        "飞线已拆除", {"name": "after.jpg", "mimeType": "image/jpeg", "buffer": phone_jpeg()}
    )
    await hazard.wait_for_status("待验收")
    await hazard.verify("复核合格")
    await hazard.wait_for_status("已销号")

    await resident.reload()
    await resident.get_by_text("已办结").wait_for()
    assert "电线已拆除。感谢您的举报" in await resident.locator("#tipoff-reply").inner_text()
    assert await overflow(resident) <= 0
    await phone.close()
    assert errors == [] and page.console_errors == []  # type: ignore[attr-defined]


async def test_a_tipoff_sent_with_no_signal(live_server: LiveServer, browser: Browser) -> None:
    """No signal: the form is kept on the phone with its photo; when the network returns it
    is sent, and the phone lists the tracking code it got back."""
    base = live_server.url
    db = str(sqlite_path(live_server.env["DATABASE_URL"]))
    phone = await browser.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True
    )
    resident = await phone.new_page()
    errors: list[str] = []
    resident.on("pageerror", lambda e: errors.append(str(e)))
    await resident.goto(base + "/tipoffs/new")
    await Shell(resident, base).wait_for_service_worker()
    await resident.reload()  # now from the worker, which keeps the page for offline use
    with sqlite3.connect(db) as conn:
        before = conn.execute("SELECT count(*) FROM tip_off").fetchone()[0]

    await phone.set_offline(True)
    await resident.get_by_label("隐患类别").select_option("fire.passage")
    await resident.get_by_label("您看到了什么").fill("地下车库消防通道被堆放的杂物堵死")
    await resident.get_by_label("地址或附近标志物").fill("幸福小区地下车库B区")
    await resident.get_by_label("照片（最多 6 张）").set_input_files(
        files=[{"name": "IMG_0043.jpg", "mimeType": "image/jpeg", "buffer": phone_jpeg()}]
    )
    await resident.get_by_role("button", name="提交举报").click()
    await resident.get_by_text("已离线保存").first.wait_for()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM tip_off").fetchone()[0] == before

    await phone.set_offline(False)
    await resident.goto(base + "/tipoffs/new")  # any page sends what was kept
    receipt = resident.locator("#my-tipoffs [data-receipts] a").first
    await receipt.wait_for()
    number, code = (await receipt.inner_text()).split(" · ")
    with sqlite3.connect(db) as conn:
        [(stored_code, photos)] = conn.execute(
            "SELECT code, json_array_length(photos) FROM tip_off WHERE number = ?", (number,)
        )
    assert stored_code == code and photos == 1  # the photo travelled with it
    await receipt.click()
    await resident.get_by_text("地下车库消防通道被堆放的杂物堵死").wait_for()
    await phone.close()
    assert errors == []
