"""Login, the throttle, device sessions (revoke, sliding expiry) and logout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.auth import service as auth
from server.auth.tables import DeviceSession
from server.directory import admin
from server.directory.demo import DEMO_PASSWORD
from server.directory.kinds import PostKind
from server.directory.service import person_by_mobile
from tests.integration.helpers import demo_mobile, log_in, post_form

pytestmark = pytest.mark.db


async def test_login_opens_a_30_day_session(app: Litestar, demo) -> None:
    mobile = await demo_mobile(PostKind.grid_member)
    async with AsyncTestClient(app=app) as client:
        response = await log_in(client, mobile)
        assert response.status_code == 303 and response.headers["location"] == "/"
        cookie = response.headers["set-cookie"].lower()
        assert "gw_session=" in cookie and "httponly" in cookie and "max-age=2592000" in cookie
        home = await client.get("/")
        assert "我的区域" in home.text or "My areas" in home.text


async def test_wrong_password_keeps_the_number_and_says_why(app: Litestar, demo) -> None:
    mobile = await demo_mobile(PostKind.grid_member)
    async with AsyncTestClient(app=app) as client:
        response = await log_in(client, mobile, "wrong-password")
    assert response.status_code == 400
    assert f'value="{mobile}"' in response.text, "the form keeps what was typed"
    assert "wrong-password" not in response.text
    assert "手机号或密码不正确" in response.text


async def test_login_redirects_back(app: Litestar, demo) -> None:
    mobile = await demo_mobile(PostKind.grid_member)
    async with AsyncTestClient(app=app) as client:
        to_login = await client.get("/places?q=x", follow_redirects=False)
        assert to_login.status_code == 303
        assert to_login.headers["location"] == "/login?next=%2Fplaces%3Fq%3Dx"
        response = await post_form(
            client, "/login", {"mobile": mobile, "password": DEMO_PASSWORD, "next": "/places?q=x"}
        )
        assert response.headers["location"] == "/places?q=x"
        evil = await post_form(
            client,
            "/login",
            {"mobile": mobile, "password": DEMO_PASSWORD, "next": "https://evil.example/"},
        )
        assert evil.headers["location"] == "/"


async def test_throttle_after_repeated_failures(app: Litestar, demo) -> None:
    mobile = await demo_mobile(PostKind.grid_member)
    async with AsyncTestClient(app=app) as client:
        for _ in range(auth.MAX_FAILURES_PER_MOBILE):
            assert (await log_in(client, mobile, "nope-nope")).status_code == 400
        blocked = await log_in(client, mobile)  # even the right password now waits
        assert blocked.status_code == 429
        assert "15" in blocked.text
        other = await log_in(client, await demo_mobile(PostKind.station_staff))
        assert other.status_code == 303, "other numbers are not blocked by this one"


async def test_throttle_per_ip(demo) -> None:
    for n in range(auth.MAX_FAILURES_PER_IP):
        with pytest.raises(auth.LoginRefused):
            await auth.login(f"1380000{n:04d}", "x", ip="10.9.9.9", user_agent="t")
    with pytest.raises(auth.LoginThrottled):
        await auth.login(
            await demo_mobile(PostKind.admin), DEMO_PASSWORD, ip="10.9.9.9", user_agent="t"
        )
    assert await auth.login(
        await demo_mobile(PostKind.admin), DEMO_PASSWORD, ip="10.1.1.1", user_agent="t"
    )


async def test_revoked_device_is_refused_at_its_next_request(app: Litestar, demo) -> None:
    mobile = await demo_mobile(PostKind.grid_member)
    phone = await auth.login(mobile, DEMO_PASSWORD, ip="1", user_agent="Android Chrome")
    laptop = await auth.login(mobile, DEMO_PASSWORD, ip="2", user_agent="Windows Edg/1")
    async with AsyncTestClient(app=app) as client:
        client.cookies.set("gw_session", laptop)
        devices = (await client.get("/me/devices")).text
        assert "Android · Chrome" in devices and "Windows · Edge" in devices
        phone_viewer, _ = await auth.authenticate(phone)
        await post_form(client, f"/me/devices/{phone_viewer.session_id}/revoke", {})
    async with AsyncTestClient(app=app) as client:
        client.cookies.set("gw_session", phone)
        assert (await client.get("/me", follow_redirects=False)).status_code == 303


async def test_admin_revokes_all_and_resets_password(app: Litestar, demo) -> None:
    member_mobile = await demo_mobile(PostKind.grid_member)
    member_token = await auth.login(member_mobile, DEMO_PASSWORD, ip="1", user_agent="x")
    member = await person_by_mobile(member_mobile)
    admin_token = await auth.login(
        await demo_mobile(PostKind.admin), DEMO_PASSWORD, ip="1", user_agent="x"
    )
    async with AsyncTestClient(app=app) as client:
        client.cookies.set("gw_session", admin_token)
        await post_form(client, f"/admin/people/{member.id}/devices/revoke", {})
        assert (await auth.authenticate(member_token))[0] is None
        page = await post_form(client, f"/admin/people/{member.id}/password", {})
        temporary = page.text.split('id="temporary-password">', 1)[1].split("<", 1)[0]
    assert await auth.login(member_mobile, temporary, ip="1", user_agent="x")
    await admin.set_password_hash(member.id, (await _demo_hash()))


async def _demo_hash() -> str:
    from server.auth.passwords import hash_password

    return await hash_password(DEMO_PASSWORD)


async def test_session_slides_and_expires(demo) -> None:
    token = await auth.login(
        await demo_mobile(PostKind.grid_member), DEMO_PASSWORD, ip="1", user_agent="x"
    )
    viewer, renew = await auth.authenticate(token)
    assert viewer is not None and renew is False
    old = datetime.now(UTC) - timedelta(days=29)
    await DeviceSession.update(
        {DeviceSession.last_seen_at: old, DeviceSession.expires_at: old + timedelta(days=30)}
    ).where(DeviceSession.id == viewer.session_id)
    viewer, renew = await auth.authenticate(token)
    assert renew is True, "used after a day away: the 30 days start again"
    row = (
        await DeviceSession.select(DeviceSession.expires_at)
        .where(DeviceSession.id == viewer.session_id)
        .first()
    )
    assert row["expires_at"] > datetime.now(UTC) + timedelta(days=29)
    await DeviceSession.update({DeviceSession.expires_at: datetime.now(UTC)}).where(
        DeviceSession.id == viewer.session_id
    )
    assert (await auth.authenticate(token))[0] is None, "an expired session opens nothing"


async def test_deactivated_person_is_locked_out(demo) -> None:
    mobile = await demo_mobile(PostKind.flood_guarantor)
    token = await auth.login(mobile, DEMO_PASSWORD, ip="1", user_agent="x")
    person = await person_by_mobile(mobile)
    await admin.set_active(person.id, False, actor_id=None)
    try:
        assert (await auth.authenticate(token))[0] is None
        with pytest.raises(auth.LoginRefused):
            await auth.login(mobile, DEMO_PASSWORD, ip="1", user_agent="x")
    finally:
        await admin.set_active(person.id, True, actor_id=None)


async def test_logout_revokes(app: Litestar, demo) -> None:
    token = await auth.login(
        await demo_mobile(PostKind.grid_member), DEMO_PASSWORD, ip="1", user_agent="x"
    )
    async with AsyncTestClient(app=app) as client:
        client.cookies.set("gw_session", token)
        response = await post_form(client, "/logout", {})
        assert response.headers["location"] == "/login?bye=1"
        assert (
            'gw_session=""' in response.headers["set-cookie"]
            or "Max-Age=0" in response.headers["set-cookie"]
        )
    assert (await auth.authenticate(token))[0] is None


async def test_thirty_guesses_at_once_are_counted_exactly(demo) -> None:
    """Issue 14, finding 7: 30 wrong passwords at the same moment; exactly the allowed number
    reach the password check and are stored, the rest are throttled (both engines)."""
    import asyncio

    from server.auth.tables import LoginAttempt

    mobile = await demo_mobile(PostKind.grid_member)

    async def guess(n: int) -> str:
        try:
            await auth.login(mobile, f"guess-{n}", ip=f"10.0.0.{n}", user_agent="t")
        except auth.LoginThrottled:
            return "throttled"
        except auth.LoginRefused:
            return "refused"
        return "in"

    answers = await asyncio.gather(*(guess(n) for n in range(30)))
    assert answers.count("refused") == auth.MAX_FAILURES_PER_MOBILE
    assert answers.count("throttled") == 30 - auth.MAX_FAILURES_PER_MOBILE
    assert await LoginAttempt.count().where(LoginAttempt.mobile == mobile) == (
        auth.MAX_FAILURES_PER_MOBILE
    )
    with pytest.raises(auth.LoginThrottled):  # the right password waits too
        await auth.login(mobile, DEMO_PASSWORD, ip="10.0.1.1", user_agent="t")


async def test_a_rotated_forwarded_for_changes_nothing(app: Litestar, demo) -> None:
    """Finding 7: X-Forwarded-For is not believed from a client that is not a trusted proxy,
    so rotating it does not escape the per-address limit."""
    async with AsyncTestClient(app=app) as client:
        for n in range(auth.MAX_FAILURES_PER_IP):
            client.headers["x-forwarded-for"] = f"203.0.113.{n}"
            assert (await log_in(client, f"1380000{n:04d}", "nope-nope")).status_code == 400
        client.headers["x-forwarded-for"] = "198.51.100.7"
        blocked = await log_in(client, await demo_mobile(PostKind.admin))
        assert blocked.status_code == 429


@pytest.mark.parametrize(
    ("peer", "header", "trusted", "seen"),
    [
        ("203.0.113.9", "1.2.3.4", (), "203.0.113.9"),  # no proxy configured
        ("10.0.0.2", "1.2.3.4", ("10.0.0.0/8",), "1.2.3.4"),  # behind our proxy
        ("10.0.0.2", "6.6.6.6, 1.2.3.4", ("10.0.0.0/8",), "1.2.3.4"),  # the hop it added
        ("10.0.0.2", "1.2.3.4, 10.0.0.3", ("10.0.0.0/8",), "1.2.3.4"),  # two of ours
        ("203.0.113.9", "1.2.3.4", ("10.0.0.0/8",), "203.0.113.9"),  # not from our proxy
        ("10.0.0.2", "not-an-address", ("10.0.0.0/8",), "10.0.0.2"),
    ],
)
def test_client_address(peer, header, trusted, seen) -> None:
    from types import SimpleNamespace

    from server.web.forms import client_ip

    settings = SimpleNamespace(trusted_proxies=trusted)
    request = SimpleNamespace(
        client=SimpleNamespace(host=peer),
        headers=SimpleNamespace(getall=lambda name, default: [header]),
        app=SimpleNamespace(state=SimpleNamespace(settings=settings)),
    )
    assert client_ip(request) == seen  # type: ignore[arg-type]


async def test_a_reset_signs_the_old_password_out_everywhere(app: Litestar, demo) -> None:
    """Issue 14, finding 11: a phone still signed in with the old password is signed out when
    an admin sets a new one; the admin's own session stays; weak passwords are refused."""
    member_mobile = await demo_mobile(PostKind.grid_member)
    phone = await auth.login(member_mobile, DEMO_PASSWORD, ip="1", user_agent="Android")
    member = await person_by_mobile(member_mobile)
    admin_token = await auth.login(
        await demo_mobile(PostKind.admin), DEMO_PASSWORD, ip="1", user_agent="x"
    )
    url = f"/admin/people/{member.id}/password"
    async with AsyncTestClient(app=app) as client:
        client.cookies.set("gw_session", admin_token)
        for weak in ("12345678", "password", "aaaaaaaaaaaa", "1qaz2wsx3edc", "Password1234"):
            refused = await post_form(client, url, {"password": weak})
            assert "密码" in refused.text and "已修改" not in refused.text, weak
            assert (await auth.authenticate(phone))[0] is not None  # nothing changed
        done = await post_form(client, url, {"password": "dyke-guard-4471"})
        assert "密码已修改" in done.text
        assert (await auth.authenticate(phone))[0] is None
        assert (await auth.authenticate(admin_token))[0] is not None
    assert await auth.login(member_mobile, "dyke-guard-4471", ip="1", user_agent="x")
    await admin.set_password_hash(member.id, (await _demo_hash()))


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("12345678", False),
        ("password", False),
        ("aaaaaaaaaaaa", False),
        ("abababababab", False),  # too few different characters
        ("woaini1314520", False),
        ("QWERTYUIOP12", False),  # the list is matched without case
        ("x" * 129, False),
        ("dyke-guard-4471", True),
        ("清溪河堤防巡查员二〇二六", True),
    ],
)
def test_password_policy(password: str, ok: bool) -> None:
    from server.auth.passwords import password_problem

    assert (password_problem(password) is None) is ok
