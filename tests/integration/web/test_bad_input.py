"""Bad input anywhere is a clear 4xx, never a server error (issue 14, finding 8): NUL
characters and lone surrogates in forms, logins, tip-offs and searches; area paths that are
not paths; dates at the ends of the calendar; bodies that are not JSON."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from tests.integration.hazards.people import CITY_BUREAU
from tests.integration.helpers import csrf_token, log_in, post_form

pytestmark = pytest.mark.db

NASTY = ["\x00", "a\x00b"]
#: what list and figure pages are given in their query
QUERIES = [
    "/hazards?area=/'/",
    "/hazards?area=%00",
    "/hazards?q=%00",
    "/hazards?q=%ED%A0%80",
    "/hazards?from=9999-12-31&to=9999-12-31",
    "/hazards?from=0001-01-01&to=0001-01-01",
    "/hazards/figures?from=9999-12-31&to=9999-12-31",
    "/hazards/figures?from=0001-01-01&to=9999-12-31",
    "/hazards?since=9999-12-31&until=9999-12-31",
    "/hazards?since=0001-01-01&until=0001-01-01",
    "/hazards/figures?since=9999-12-31&until=9999-12-31",
    "/hazards/figures?since=0001-01-01",
    "/hazards/ledger.xlsx?since=9999-12-31&until=9999-12-31",
    "/hazards/figures?year=9999",
    "/hazards/figures?year=-1",
    "/hazards/figures?month=9999-13",
    "/hazards/ledger.csv?from=9999-12-31",
    "/hazards/bulletin?month=9999-12",
    "/patrols/coverage?week=9999-W52",
    "/patrols/coverage?week=0001-W01",
    "/patrols/coverage?from=9999-12-31",
    "/patrols/ledger.csv?week=9999-W53",
    "/tipoffs?q=%00",
    "/tipoffs/figures?from=9999-12-31&to=9999-12-31",
    "/places?q=%00",
    "/people?q=%00",
    "/callups?q=%00",
]


@pytest.mark.parametrize("url", QUERIES)
async def test_a_query_with_anything_is_no_server_error(demo, client: AsyncTestClient, url) -> None:
    assert (await log_in(client, CITY_BUREAU)).status_code == 303
    answer = await client.get(url)
    assert answer.status_code < 500, (url, answer.status_code)


@pytest.mark.parametrize("text", NASTY)
async def test_nul_in_a_login_or_a_tipoff_is_a_clear_refusal(
    demo, client: AsyncTestClient, text
) -> None:
    login = await post_form(client, "/login", {"mobile": "139" + text, "password": text * 12})
    assert login.status_code in (400, 422, 200), login.status_code
    tipoff = await post_form(
        client,
        "/tipoffs",
        {"description": "楼道堆物" + text, "category": "fire.ebike", "mobile": "1380000" + text},
    )
    assert tipoff.status_code < 500, tipoff.status_code


async def test_nul_in_a_hazard_form_is_a_clear_refusal(demo, client: AsyncTestClient) -> None:
    assert (await log_in(client, CITY_BUREAU)).status_code == 303
    answer = await post_form(client, "/hazards", {"description": "a\x00b", "category": "x"})
    assert 400 <= answer.status_code < 500


@pytest.mark.parametrize(
    "url", ["/sync/mutations", "/sync/announce", "/notify/subscriptions", "/login"]
)
async def test_a_body_that_is_not_json_is_a_clear_refusal(
    demo, client: AsyncTestClient, url
) -> None:
    assert (await log_in(client, CITY_BUREAU)).status_code == 303
    token = await csrf_token(client)
    for body in (b"{", b'{"a": [}', b"\xff\xfe", b"[" * 100_000):
        answer = await client.post(
            url,
            content=body,
            headers={"content-type": "application/json", "x-csrftoken": token},
        )
        assert answer.status_code < 500, (url, body[:10], answer.status_code)
