"""The `georeport` client from PyPI against a live server: it lists services (JSON and XML),
reads a service definition, and finds the request a partner posted, listed and alone.

georeport 0.3.1 (the newest) has no method to post; the Python clients that do (three 0.8,
open311 1.1) are Python 2 only. The post is made with `requests` (georeport's own HTTP
library) exactly as the spec describes it: a urlencoded form with the partner's api_key."""

from __future__ import annotations

from pathlib import Path

import requests
from georeport import GeoReport

from tests.live import live_server

KEY = "hotline-12345-live-key"


def test_the_georeport_client(tmp_path: Path) -> None:
    with live_server(tmp_path, OPEN311_KEYS=f"12345热线={KEY}") as server:
        root = f"{server.url}/open311/v2"
        client = GeoReport(root, api_key=KEY)
        services = client.get_service_list()
        assert "fire.ebike" in [s["service_code"] for s in services]
        xml_services = GeoReport(root, output_format="xml").get_service_list()
        assert [s["service_code"] for s in xml_services] == [s["service_code"] for s in services]
        assert client.get_service_definition("fire.ebike") == {
            "service_code": "fire.ebike",
            "attributes": [],
        }

        posted = requests.post(
            f"{root}/requests.json",
            data={
                "api_key": client.api_key,
                "service_code": "fire.ebike",
                "address_string": "幸福路8号3幢",
                "description": "楼道里电动车飞线充电",
            },
            timeout=10,
        )
        assert posted.status_code == 201, posted.text
        number = posted.json()[0]["service_request_id"]

        listed = client.get_service_requests(service_code="fire.ebike", status="open")
        assert [r["service_request_id"] for r in listed] == [number]
        one = client.get_service_request(number)
        assert one["status"] == "open" and one["address"] == "幸福路8号3幢"
        as_xml = GeoReport(root, output_format="xml").get_service_request(number)
        assert (
            as_xml["service_request_id"] == number and as_xml["description"] == one["description"]
        )

        # a caller on a fixed line, relayed with no description (the spec allows both)
        landline = requests.post(
            f"{root}/requests.json",
            data={
                "api_key": client.api_key,
                "service_code": "fire.passage",
                "address_string": "幸福路12号",
                "phone": "0571-88001234",
            },
            timeout=10,
        )
        assert landline.status_code == 201, landline.text
        [answer] = landline.json()
        assert set(answer) == {"service_request_id", "service_notice"}
        relayed = client.get_service_request(answer["service_request_id"])
        assert relayed["service_code"] == "fire.passage" and relayed["address"] == "幸福路12号"
        assert relayed["description"] in ("", None) and relayed["status"] == "open"
        assert relayed["requested_datetime"].endswith("+08:00")
        relayed_xml = GeoReport(root, output_format="xml").get_service_request(
            answer["service_request_id"]
        )
        assert relayed_xml["address"] == "幸福路12号"
