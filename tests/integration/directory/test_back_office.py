"""The admins' back office: people, posts, areas and places through the forms."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.auth import service as auth
from server.console.importer import run_import
from server.directory.kinds import PostKind
from server.directory.service import area_by_code, person_by_mobile, place_by_code, posts_of
from tests.integration.directory.test_import import AREAS, PEOPLE, PLACES
from tests.integration.helpers import post_form

pytestmark = pytest.mark.db


@pytest.fixture
async def admin_client(app: Litestar, database):
    for kind, data in (("areas", AREAS), ("places", PLACES), ("people", PEOPLE)):
        assert (await run_import(kind, data.encode(), dry_run=False)).applied
    await run_import(
        "people",
        b"name,mobile,post,area_code,password\nAdmin,13800000099,admin,339900,admin-pass-1\n",
        dry_run=False,
    )
    token = await auth.login("13800000099", "admin-pass-1", ip="1", user_agent="x")
    async with AsyncTestClient(app=app) as client:
        client.cookies.set("gw_session", token)
        yield client


async def test_add_person_and_post(admin_client: AsyncTestClient) -> None:
    bad = await post_form(admin_client, "/admin/people", {"name": "赵六", "mobile": "123"})
    assert bad.status_code == 400 and 'value="赵六"' in bad.text and "不是有效的手机号" in bad.text
    made = await post_form(
        admin_client,
        "/admin/people",
        {"name": "赵六", "mobile": "13800000050", "password": "zhao-liu-dyke-7"},
    )
    assert made.status_code == 303
    person = await person_by_mobile("13800000050")
    wrong = await post_form(
        admin_client,
        f"/admin/people/{person.id}/posts",
        {"kind": "station_staff", "area_code": "339901001001-01"},
    )
    assert wrong.status_code == 400 and "不能设在" in wrong.text
    ok = await post_form(
        admin_client,
        f"/admin/people/{person.id}/posts",
        {"kind": "grid_member", "area_code": "339901001001-01", "superior_mobile": "13800000001"},
    )
    assert ok.status_code == 200 and "岗位已添加" in ok.text
    [post] = await posts_of(person.id)
    station = await person_by_mobile("13800000001")
    assert (
        post.kind is PostKind.grid_member and post.superior_id == (await posts_of(station.id))[0].id
    )
    ended = await post_form(admin_client, f"/admin/posts/{post.id}/end", {})
    assert ended.status_code == 303
    assert await posts_of(person.id) == []


async def test_register_area_and_place_then_edit(admin_client: AsyncTestClient) -> None:
    made = await post_form(
        admin_client,
        "/admin/areas",
        {
            "level": "grid",
            "parent_code": "339901001001",
            "code": "339901001001-02",
            "name": "望江社区第2网格",
        },
    )
    assert made.status_code == 303
    grid = await area_by_code("339901001001-02")
    assert grid.path.endswith("/339901001001/339901001001-02/")
    bad = await post_form(
        admin_client,
        "/admin/places",
        {
            "code": "P9",
            "name": "新店",
            "kind": "shop",
            "grid_code": "339901001001-02",
            "lat": "1",
            "lng": "2",
        },
    )
    assert bad.status_code == 400 and 'value="新店"' in bad.text
    ok = await post_form(
        admin_client,
        "/admin/places",
        {
            "code": "P9",
            "name": "新店",
            "kind": "shop",
            "grid_code": "339901001001-02",
            "risk_grade": "较大",
        },
    )
    assert ok.status_code == 303
    place = await place_by_code("P9")
    assert place.area_path == grid.path and place.qr_token
    edit = await post_form(
        admin_client,
        f"/admin/places/{place.id}",
        {"name": "新店（改）", "kind": "enterprise", "risk_grade": "重大"},
    )
    assert edit.status_code == 303
    changed = await place_by_code("P9")
    assert (changed.name, changed.kind.value, changed.risk_grade.value) == (
        "新店（改）",
        "enterprise",
        "1",
    )


async def test_createadmin_cli(database, database_url: str) -> None:
    import subprocess
    import sys

    from server.settings import ROOT

    assert (await run_import("areas", AREAS.encode(), dry_run=False)).applied

    def run(password: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "server.cli",
                "createadmin",
                "--mobile",
                "13700000001",
                "--name",
                "张管理",
                "--password-stdin",
            ],
            input=password + "\n",
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={"DATABASE_URL": database_url, "SECRET_KEY": "x", "PATH": "/usr/bin:/bin"},
        )

    weak = run("short")
    assert weak.returncode != 0 and "密码至少 12 位" in weak.stderr
    ok = run("admin-pass-9")
    assert ok.returncode == 0 and "临江市" in ok.stdout
    person = await person_by_mobile("13700000001")
    assert [p.kind for p in await posts_of(person.id)] == [PostKind.admin]
    assert await auth.login("13700000001", "admin-pass-9", ip="1", user_agent="x")
