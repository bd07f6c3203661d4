"""Live delivery over SSE, against the app served by uvicorn (a test client cannot read an
endless stream): the assignee's open page hears of the assignment as it is made."""

from __future__ import annotations

import asyncio
import json
import re
import uuid

import aiohttp

from sync.hlc import HLC
from tests.live import LiveServer, live_server, session_for


def mutation(op: str, record_id: str, fields: dict, n: int) -> dict:
    return {
        "mutation_id": str(uuid.uuid4()),
        "device_id": str(uuid.uuid4()),
        "device_seq": n,
        "entity": "hazard",
        "record_id": record_id,
        "op": op,
        "fields": fields,
        "base_seq": 0,
        "hlc": str(HLC(1_790_000_000_000 + n, 0, "t")),
    }


async def read_event(response: aiohttp.ClientResponse) -> tuple[str, dict]:
    event, data = "", ""
    while True:
        line = (await response.content.readline()).decode().rstrip("\r\n")
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data += line.split(":", 1)[1].strip()
        elif line == "" and event:
            return event, json.loads(data or "{}")


async def scenario(server: LiveServer) -> None:
    grid = await session_for(server.url, "13900000007")
    station = await session_for(server.url, "13900000005")
    try:
        me = await (await grid.get("/me", headers={"accept": "text/html"})).text()
        assert "13900000007" in me
        async with grid.get("/notify/live") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert (await asyncio.wait_for(read_event(stream), 10))[0] == "ready"
            paths = re.findall(
                r'<option value="(/[0-9/-]+/)"', await (await grid.get("/hazards/new")).text()
            )
            record = str(uuid.uuid4())
            report = mutation(
                "report",
                record,
                {"category": "fire.ebike", "level": "general", "area_path": paths[0]},
                1,
            )
            assert (
                await (await grid.post("/sync/mutations", json={"mutations": [report]})).json()
            )["results"][0]["verdict"] == "applied"
            person = re.search(
                r'name="followers" value="([^"]+)"',
                await (await grid.get(f"/hazards/{record}")).text(),
            ).group(1)
            steps = [
                mutation("accept", record, {}, 1),
                mutation(
                    "assign",
                    record,
                    {
                        "assignee_unit": "物业",
                        "assignee_id": person,
                        "measures": "拆除",
                        "deadline": "2030-01-01",
                    },
                    2,
                ),
            ]
            answer = await (await station.post("/sync/mutations", json={"mutations": steps})).json()
            assert [r["verdict"] for r in answer["results"]] == ["merged", "merged"]
            # the reporter hears first that the report was accepted, then of the assignment
            heard = [await asyncio.wait_for(read_event(stream), 10) for _ in range(2)]
            assert [n["title"] for e, n in heard if e == "notice"] == [
                "您上报的隐患已受理",
                "有隐患交办给您",
            ]
            assert {n["url"] for _e, n in heard} == {f"/hazards/{record}"}
    finally:
        await grid.close()
        await station.close()


def test_an_open_page_hears_of_its_assignment(tmp_path) -> None:
    with live_server(tmp_path) as server:
        asyncio.run(scenario(server))
