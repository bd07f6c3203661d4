"""Open311 GeoReport v2, field by field against the spec's examples, in JSON and XML: the
services, a service definition, posting a request (api_key, lat/long or address_string, an
uploaded photo or a media_url), listing requests with every filter, one request, a token,
errors, the discovery file; and what a public document never shows."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from xml.etree.ElementTree import fromstring

import pytest
from litestar.testing import AsyncTestClient

from server.tipoffs.open311 import REQUEST_FIELDS
from server.tipoffs.tables import TipOff
from tests.integration.tipoffs.conftest import PARTNER, PARTNER_KEY
from tests.integration.tipoffs.photos import metadata_of, phone_jpeg
from tests.integration.tipoffs.test_flow import station_grid

pytestmark = pytest.mark.db
V2 = "/open311/v2"
SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]


def xml_items(text: str, root: str, item: str) -> list[dict[str, str | None]]:
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    tree = fromstring(text.split("\n", 1)[1])
    assert tree.tag == root
    return [{child.tag: child.text for child in node} for node in tree.findall(item)]


async def post(client: AsyncTestClient, fmt: str = "json", files=None, **fields: str):
    return await client.post(f"{V2}/requests.{fmt}", data=fields, files=files)


async def test_services_and_a_definition(demo, client: AsyncTestClient) -> None:
    services = (await client.get(f"{V2}/services.json")).json()
    assert services and all(list(s) == SERVICE_FIELDS for s in services)
    ebike = next(s for s in services if s["service_code"] == "fire.ebike")
    assert ebike["metadata"] is False and ebike["type"] == "realtime"
    assert ebike["service_name"] and ebike["group"]  # its top category
    xml = await client.get(f"{V2}/services.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    items = xml_items(xml.text, "services", "service")
    assert [list(i) for i in items] == [SERVICE_FIELDS] * len(services)
    assert next(i for i in items if i["service_code"] == "fire.ebike")["metadata"] == "false"

    definition = (await client.get(f"{V2}/services/fire.ebike.json")).json()
    assert definition == {"service_code": "fire.ebike", "attributes": []}
    xml = (await client.get(f"{V2}/services/fire.ebike.xml")).text
    tree = fromstring(xml.split("\n", 1)[1])
    assert tree.tag == "service_definition" and tree.findtext("service_code") == "fire.ebike"
    missing = await client.get(f"{V2}/services/no.such.json")
    assert missing.status_code == 404
    no_such = "本系统没有service_code为no.such的服务。"
    assert missing.json() == [{"code": 404, "description": no_such}]


async def test_post_list_and_read_requests(demo, client: AsyncTestClient) -> None:
    _grid, lat, lng = await station_grid()
    refused = await post(client, service_code="fire.ebike", description="楼道飞线充电", lat="1")
    assert refused.status_code == 403 and refused.json()[0]["code"] == 403
    refused = await post(client, "xml", api_key="wrong", service_code="fire.ebike")
    errors = xml_items(refused.text, "errors", "error")
    assert refused.status_code == 403 and errors[0]["code"] == "403"
    no_place = await post(
        client, api_key=PARTNER_KEY, service_code="fire.ebike", description="楼道飞线充电"
    )
    assert no_place.status_code == 400 and no_place.json()[0]["description"].startswith("address")

    made = await post(
        client,
        api_key=PARTNER_KEY,
        service_code="fire.ebike",
        lat=str(lat),
        long=str(lng),
        description="3号楼楼道电动车飞线充电",
        first_name="张",
        last_name="三",
        phone="13900005678",
        media_url="https://hotline.example/media/1.jpg",
    )
    assert made.status_code == 201, made.text
    [answer] = made.json()
    # the number is given at once: service_request_id, and no token (one or the other)
    assert list(answer) == ["service_request_id", "service_notice"]
    assert answer["service_request_id"].startswith("JB")
    files = [("media", ("a.jpg", phone_jpeg(lat, lng), "image/jpeg"))]
    by_address = await post(
        client,
        "xml",
        files=files,
        api_key=PARTNER_KEY,
        service_code="fire.passage",
        address_string="幸福路8号",
        description="消防通道被车辆堵塞",
    )
    [xml_answer] = xml_items(by_address.text, "service_requests", "request")
    assert by_address.status_code == 201
    assert list(xml_answer) == ["service_request_id", "service_notice"]
    second = await TipOff.select().where(TipOff.number == xml_answer["service_request_id"]).first()
    assert second["source"] == "open311" and second["partner"] == PARTNER
    assert (
        len(json.loads(second["photos"]) if isinstance(second["photos"], str) else second["photos"])
        == 1
    )

    listed = (await client.get(f"{V2}/requests.json")).json()
    assert [r["service_request_id"] for r in listed] == [
        xml_answer["service_request_id"],
        answer["service_request_id"],
    ]
    first = listed[1]
    assert list(first) == list(REQUEST_FIELDS)
    assert first["status"] == "open" and first["service_code"] == "fire.ebike"
    assert first["media_url"] == "https://hotline.example/media/1.jpg"
    assert first["lat"] == round(lat, 3) and first["long"] == round(lng, 3)
    assert datetime.fromisoformat(first["requested_datetime"]).utcoffset() is not None
    assert first["agency_responsible"]  # the grid
    whole = json.dumps(listed, ensure_ascii=False)
    assert "13900005678" not in whole and "张 三" not in whole  # never the reporter
    xml_listed = xml_items(
        (await client.get(f"{V2}/requests.xml")).text, "service_requests", "request"
    )
    assert [list(r) for r in xml_listed] == [list(REQUEST_FIELDS)] * 2
    assert xml_listed[1]["zipcode"] is None and xml_listed[1]["status"] == "open"

    async def ids(**params: str) -> list[str]:
        response = await client.get(f"{V2}/requests.json", params=params)
        assert response.status_code == 200, response.text
        return [r["service_request_id"] for r in response.json()]

    one, two = answer["service_request_id"], xml_answer["service_request_id"]
    assert await ids(service_request_id=f"{one},{two}") == [two, one]
    assert await ids(service_code="fire.passage") == [two]
    assert await ids(status="open") == [two, one] and await ids(status="closed") == []
    tomorrow = (datetime.now().astimezone() + timedelta(days=1)).isoformat(timespec="seconds")
    assert await ids(start_date=tomorrow, end_date=tomorrow) == []
    bad = await client.get(f"{V2}/requests.json", params={"start_date": "yesterday"})
    assert bad.status_code == 400 and "2026-11-24" in bad.json()[0]["description"]
    wide = await client.get(
        f"{V2}/requests.json",
        params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-12-01T00:00:00Z"},
    )
    assert wide.status_code == 400

    await TipOff.update(
        {
            TipOff.state: "rejected",
            TipOff.reject_reason: "不属于安全隐患",
            TipOff.reply: "已转交交警",
        }
    ).where(TipOff.number == two)
    assert await ids(status="closed") == [two]
    [read] = (await client.get(f"{V2}/requests/{two}.json")).json()
    assert read["status"] == "closed" and "不属于安全隐患" in read["status_notes"]
    assert "已转交交警" not in read["status_notes"]  # the reply is the reporter's
    [mine] = (await client.get(f"{V2}/requests/{two}.json", params={"api_key": PARTNER_KEY})).json()
    assert "已转交交警" in mine["status_notes"]  # ...and the partner's who relayed it
    [xml_read] = xml_items(
        (await client.get(f"{V2}/requests/{two}.xml")).text, "service_requests", "request"
    )
    assert xml_read["service_request_id"] == two and xml_read["status"] == "closed"
    assert (await client.get(f"{V2}/requests/JB00000000-0000.json")).status_code == 404

    # a token still finds its request (the tip-off's id is its token)
    first_id = str((await TipOff.select(TipOff.id).where(TipOff.number == one).first())["id"])
    token = (await client.get(f"{V2}/tokens/{first_id}.json")).json()
    assert token == [{"service_request_id": one, "token": first_id}]
    [xml_token] = xml_items(
        (await client.get(f"{V2}/tokens/{first_id}.xml")).text, "service_requests", "request"
    )
    assert xml_token == {"service_request_id": one, "token": first_id}
    assert (await client.get(f"{V2}/tokens/nonsense.json")).status_code == 404
    assert (await client.get(f"{V2}/requests/{one}.yaml")).status_code == 404


async def test_the_uploaded_photo_keeps_no_metadata_in_public(
    demo, client: AsyncTestClient
) -> None:
    _grid, lat, lng = await station_grid()
    files = [("media", ("a.jpg", phone_jpeg(lat, lng), "image/jpeg"))]
    made = await post(
        client,
        files=files,
        api_key=PARTNER_KEY,
        service_code="fire.ebike",
        lat=str(lat),
        long=str(lng),
        description="楼道电动车充电",
    )
    row = await TipOff.select().where(TipOff.number == made.json()[0]["service_request_id"]).first()
    served = await client.get(f"/t/{row['code']}/photos/0")
    assert served.status_code == 200 and metadata_of(served.content) == {}


async def test_discovery(client: AsyncTestClient) -> None:
    found = (await client.get("/open311/discovery.json")).json()
    assert list(found) == ["changeset", "contact", "key_service", "endpoints"]
    [endpoint] = found["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    xml = (await client.get("/open311/discovery.xml")).text
    tree = fromstring(xml.split("\n", 1)[1])
    assert [f.text for f in tree.find("endpoints/endpoint/formats")] == endpoint["formats"]
