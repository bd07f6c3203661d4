"""A call-up through the real pages: a warning uploaded as CAP, the call-up drafted from it
and edited, sent, answered on the target's page, the board, the report and its .xlsx."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.callups.tables import CallupTarget
from server.directory.service import area_by_code
from server.directory.tables import Person
from tests.integration.callups.people import BUREAU, OURS_CAP
from tests.integration.hazards.test_pages import submit
from tests.integration.helpers import csrf_token, log_in, post_form

pytestmark = pytest.mark.db


@pytest.fixture
async def bureau(app: Litestar, demo):
    async with AsyncTestClient(app=app) as client:
        assert (await log_in(client, BUREAU)).status_code == 303
        yield client


async def test_from_cap_upload_to_report(app: Litestar, bureau: AsyncTestClient) -> None:
    token = await csrf_token(bureau)
    refused = await bureau.post(
        "/warnings/cap",
        content=b"<alert>not cap</alert>",
        headers={"x-csrftoken": token, "content-type": "application/xml"},
    )
    assert refused.status_code == 422 and "不是CAP" in refused.json()["error"]
    gbk = (OURS_CAP / "zh_geohazard_gb2312.cap").read_bytes().replace(b' encoding="GB2312"', b"")
    shown = await bureau.post(
        "/warnings/cap",
        files={"file": ("gbk.cap", gbk, "application/xml")},
        headers={"x-csrftoken": token},
    )  # a reason in the person's language on the page, not a 500
    assert shown.status_code == 422 and "文件不是UTF-8编码" in shown.text
    landslide = await bureau.post(
        "/warnings/cap",
        content=(OURS_CAP / "zh_landslide_12digit.cap").read_bytes(),
        headers={"x-csrftoken": token, "content-type": "application/xml"},
    )
    assert landslide.status_code == 201
    page_of = (await bureau.get(f"/warnings/{landslide.json()['warning_id']}")).text
    assert "本市通讯录中没有的区划代码：339977001000" in page_of
    data = (OURS_CAP / "zh_flood_polygon.cap").read_bytes()
    page = await bureau.post(
        "/warnings/cap",
        files={"file": ("flood.cap", data, "application/xml")},
        headers={"x-csrftoken": token},
        follow_redirects=False,
    )
    assert page.status_code == 303
    warning_url = page.headers["location"]
    shown = (await bureau.get(warning_url)).text
    assert "清溪河洪水橙色预警" in shown and "Orange flood warning" in shown
    warning_id = warning_url.rsplit("/", 1)[1]
    home = (await bureau.get("/")).text  # the bureau's home: the warning in force
    assert 'id="warnings-in-force"' in home and "清溪河洪水橙色预警" in home

    form = (await bureau.get(f"/callups/new?warning={warning_id}")).text
    town = await area_by_code("339901002")
    # a polygon names no area whole: nothing ticked; whom it reaches is called besides
    assert f'value="{town.path}" checked' not in form and 'id="shape-reach"' in form
    shown = (await bureau.get(warning_url)).text
    assert 'id="reached"' in shown and "位于预警多边形内" in shown
    empty = await post_form(bureau, "/callups", {"title": ""})
    assert empty.status_code == 422 and 'id="callup-form"' in empty.text
    made = await post_form(
        bureau,
        "/callups",
        {
            "warning_id": warning_id,
            "title": "清溪河洪水叫应",
            "level": "orange",
            "areas": town.path,
            "post_kinds": ["flood_admin", "flood_guarantor", "flood_technical"],
            "rounds": "2",
        },
    )
    assert made.status_code == 303
    callup_url = made.headers["location"]
    draft = (await bureau.get(callup_url)).text
    assert 'id="send-form"' in draft
    assert "须在20分钟内确认" in draft  # orange: CALLUP_WINDOWS' default window
    count = len(re.findall(r'id="target-', draft))
    assert count > 3
    sent = await post_form(bureau, callup_url + "/send", {})
    assert sent.status_code == 303
    board = (await bureau.get(callup_url)).text
    assert 'data-board-stream="' in board and 'data-count="confirmed">0<' in board
    assert len(re.findall(r'id="silent-', board)) == count
    assert "tel:" in board
    home = (await bureau.get("/")).text  # the call-up under way on the home, with its count
    assert 'id="live-callups"' in home and "清溪河洪水叫应" in home and f">0/{count}<" in home

    callup_id = callup_url.rsplit("/", 1)[1]
    target = await CallupTarget.select().where(CallupTarget.callup_id == callup_id).first()
    person = await Person.select(Person.mobile).where(Person.id == target["person_id"]).first()
    async with AsyncTestClient(app=app) as phone:
        assert (await log_in(phone, person["mobile"])).status_code == 303
        assert (await phone.get(callup_url, follow_redirects=False)).status_code == 303
        answer_url = f"/callups/{callup_id}/answer"
        page = (await phone.get(answer_url)).text
        assert 'id="ack-form"' in page
        refused = await submit(
            phone,
            answer_url,
            "unable-form",
            f"/callups/targets/{target['id']}/confirm",
            reason="腿受伤",
            standin_mobile="19999999999",
        )
        assert refused.status_code == 422 and "腿受伤" in refused.text  # nothing typed is lost
        done = await submit(
            phone, answer_url, "ack-form", f"/callups/targets/{target['id']}/confirm"
        )
        assert done.status_code == 303
        confirmed = (await phone.get(answer_url)).text
        assert 'id="confirmed"' in confirmed and 'id="ack-form"' not in confirmed
        assert (await phone.get(callup_url + "/board")).status_code == 403

    board = (await bureau.get(callup_url + "/board", headers={"HX-Request": "true"})).text
    assert 'data-count="confirmed">1<' in board and "<html" not in board
    report = (await bureau.get(callup_url + "/report")).text
    assert "清溪镇" in report
    xlsx = await bureau.get(callup_url + "/report.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["汇总", "全部", "按乡镇", "按村（社区）", "叫应对象"]
    whole = book["全部"]
    assert whole.freeze_panes == "A2" and whole.auto_filter.ref  # laid out: header, filter
    assert whole["D2"].number_format == "0.0%" and 0 < whole["D2"].value <= 1  # a share
    rows = list(book["叫应对象"].iter_rows(values_only=True))
    assert len(rows) == count + 1
    answered = [r for r in rows[1:] if r[5] is not None]
    assert len(answered) == 1
    csv = await bureau.get(callup_url + "/report.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert len(lines) == count + 1 and lines[0].startswith("姓名,")
    assert sum(1 for line in lines[1:] if ",已确认," in line or ",收到," in line) >= 1


async def test_the_superior_opens_the_escalation_link(app: Litestar, demo) -> None:
    from datetime import UTC, datetime, timedelta

    from server.callups.escalation import escalate
    from server.notify.tables import Message
    from tests.integration.callups.people import issue, viewer

    sent = datetime.now(UTC) - timedelta(hours=1)
    callup_id = await issue(await viewer(BUREAU), window=10, now=sent)
    rows = await CallupTarget.select().where(CallupTarget.callup_id == callup_id)
    row = max(rows, key=lambda r: len(r["area_path"]))  # a dyke guarantor: the town chief above
    await escalate(sent + timedelta(minutes=10, seconds=1))
    await escalate(sent + timedelta(minutes=20, seconds=2))
    told = await Message.select(Message.url).where(
        (Message.kind == "callup_escalation") & (Message.recipient_id == row["superior_id"])
    )
    assert len(told) == 1  # the town chief has many silent people: one note with the count
    link = told[0]["url"]
    shown = await CallupTarget.select().where(CallupTarget.id == link.rsplit("/", 1)[1]).first()
    assert shown["superior_id"] == row["superior_id"]
    boss = await Person.select(Person.mobile).where(Person.id == row["superior_id"]).first()
    silent = await Person.select(Person.mobile).where(Person.id == shown["person_id"]).first()
    async with AsyncTestClient(app=app) as client:
        assert (await log_in(client, boss["mobile"])).status_code == 303
        page = await client.get(link)
        assert page.status_code == 200
        assert f'href="tel:{silent["mobile"]}"' in page.text
        assert 'data-kind="escalated"' in page.text
        assert 'id="officer-form"' not in page.text  # recording is for staff


async def test_a_warning_system_posts_cap_with_its_key(settings, demo) -> None:
    """The machine API: the key in X-Api-Key, no session, no CSRF token; answers are JSON
    (or XML when asked), never a page: 401 without a key, 422 with the reason, 201 done."""
    from dataclasses import replace

    from server.app import create_app

    key = "k" * 24
    app = create_app(replace(settings, cap_keys=((key, "省预警发布系统"),)))
    data = (OURS_CAP / "zh_rainstorm_red.cap").read_bytes()
    async with AsyncTestClient(app=app) as machine:
        nobody = await machine.post("/api/cap", content=data)
        assert nobody.status_code == 401 and nobody.json()["status"] == 401
        wrong = await machine.post("/api/cap", content=data, headers={"x-api-key": "x" * 24})
        assert wrong.status_code == 401 and "X-Api-Key" in wrong.json()["error"]
        gbk = (
            (OURS_CAP / "zh_geohazard_gb2312.cap").read_bytes().replace(b' encoding="GB2312"', b"")
        )
        refused = await machine.post("/api/cap", content=gbk, headers={"x-api-key": key})
        assert refused.status_code == 422 and "UTF-8" in refused.json()["error"]
        done = await machine.post("/api/cap", content=data, headers={"x-api-key": key})
        assert done.status_code == 201 and done.json()["action"] == "created"
        assert done.json()["level"] == "red" and done.json()["targets"] > 0
        again = await machine.post(
            "/api/cap", content=data, headers={"x-api-key": key, "accept": "application/xml"}
        )
        assert again.status_code == 200 and again.headers["content-type"].startswith(
            "application/xml"
        )
        assert "<action>already</action>" in again.text


async def test_a_program_posting_xml_without_a_session_hears_json(app: Litestar, demo) -> None:
    """The staff endpoint refuses a program without a session or token in JSON, not with
    a page (the program's own way in is /api/cap)."""
    async with AsyncTestClient(app=app) as program:
        data = (OURS_CAP / "zh_rainstorm_red.cap").read_bytes()
        answer = await program.post(
            "/warnings/cap", content=data, headers={"content-type": "application/xml"}
        )
        assert answer.status_code in (401, 403)
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.json()["status"] == answer.status_code
