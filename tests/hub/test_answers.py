"""What the API answers besides the happy path: problem titles for what happened, the HTTP status in
`status`, RateLimit headers on every answer, request size limits, and a feed that survives one area."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import datetime

import httpx

from switchhub.hub.gateway.client import HttpsAreaClient
from switchhub.kernel.clock import JST
from tests.flow.helpers import frozen, smart_point_of
from tests.flow.test_switch_api import relay_body, start_body
from tests.support import build_stack, close_stack, with_client_cert

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=JST)
RATE_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")


async def test_unknown_route_and_wrong_method_say_what_they_are(stack):
    async with stack.client("A0001") as c:
        missing = await c.get("/api/v1/no-such-thing")
        method = await c.delete("/api/v1/me")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert {k: missing.json()[k] for k in ("status", "title", "detail", "code")} == {
        "status": 404, "title": "該当するデータがありません", "detail": "指定されたURLは存在しません", "code": "no_such_route"}
    assert {k: method.json()[k] for k in ("status", "title", "code")} == {
        "status": 405, "title": "このメソッドは使用できません", "code": "method_not_allowed"}


async def test_area_conflicts_keep_their_business_title_and_status_is_the_http_status(stack):
    spid = smart_point_of(stack.world, "M0300", skip=50)
    with frozen(NOW):
        async with stack.client("A0001") as a, stack.client("A0002") as b, stack.client("M0300") as m:
            await a.post("/api/v1/applications/switch-start", json=start_body(spid))
            other = await b.post("/api/v1/applications/switch-start", json=start_body(spid))
            relay = (await a.post("/api/v1/relays", json=relay_body(smart_point_of(stack.world, "M0300", skip=51)))
                     ).json()
            ng = {"decision": "02", "staff_name": "担当", "ng_reasons": ["4"]}
            await m.post(f"/api/v1/relays/{relay['relay_no']}/decision", json=ng)
            again = await m.post(f"/api/v1/relays/{relay['relay_no']}/decision", json=ng)
    assert other.status_code == 409
    assert {k: other.json()[k] for k in ("status", "title", "code")} == {
        "status": 409, "title": "現在の状態ではこの操作はできません", "code": "other_switch_pending"}
    assert "受付日" in other.json()["detail"] and other.json()["conflicting_application"]["type"] == "05"
    assert again.status_code == 409
    assert {k: again.json()[k] for k in ("status", "code", "relay_status")} == {
        "status": 409, "code": "relay_status_conflict", "relay_status": "03"}


async def test_ratelimit_headers_on_every_api_answer(world):
    stack = build_stack(world, settings_changes={"rate_per_second": 0.01, "rate_burst": 100})
    try:
        await _ratelimit_headers(stack)
    finally:
        await close_stack(stack)


async def _ratelimit_headers(stack):
    spid = smart_point_of(stack.world, "M0300", skip=52)
    async with stack.client("A0001") as c:
        answers = {
            "lookup": await c.get(f"/api/v1/supply-points/{spid}"),
            "not_found": await c.get("/api/v1/relays/R0"),
            "invalid": await c.post("/api/v1/relays", json={}),
            "audit": await c.get("/api/v1/audit-records"),
            "no_route": await c.get("/api/v1/nothing-here"),
        }
    async with stack.client("T0300") as t:
        answers["permission_denied"] = await t.post("/api/v1/relays", json={})
    async with stack.client("A0001", token="shk_nope.nope") as bad:
        answers["bad_credential"] = await bad.get("/api/v1/me")
    statuses = {k: r.status_code for k, r in answers.items()}
    assert statuses == {"lookup": 200, "not_found": 404, "invalid": 422, "audit": 200, "no_route": 404,
                        "permission_denied": 403, "bad_credential": 401}
    for name, r in answers.items():
        assert all(h in r.headers for h in RATE_HEADERS), (name, dict(r.headers))
        assert r.headers["ratelimit-limit"] == "100"
    remaining = [int(answers[k].headers["ratelimit-remaining"]) for k in
                 ("lookup", "not_found", "invalid", "audit", "no_route")]
    # each counted request takes a token; the unknown route is answered before the limit, with its state
    assert remaining == [99, 98, 97, 96, 96]
    assert int(answers["bad_credential"].headers["ratelimit-remaining"]) == 96


async def test_request_bodies_are_limited_while_they_are_read(world):
    stack = build_stack(world, settings_changes={"max_body_bytes": 1000})
    try:
        async with stack.client("A0001") as c:
            declared = await c.post("/api/v1/relays", content=b"{" + b" " * 5000 + b"}",
                                    headers={"content-type": "application/json"})

            async def chunks():
                for _ in range(10):
                    yield b" " * 400

            streamed = await c.post("/api/v1/relays", content=chunks(), headers={"content-type": "application/json"})
            small = await c.post("/api/v1/relays", json={})
        for r in (declared, streamed):
            assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
            assert (r.json()["status"], r.json()["code"], r.json()["title"]) == (413, "payload_too_large",
                                                                              "リクエストが大きすぎます")
        assert "transfer-encoding" in streamed.request.headers  # no Content-Length: counted while read
        assert small.status_code == 422
    finally:
        await close_stack(stack)


async def _hung_listener() -> tuple[asyncio.Server, int, list]:
    """Accepts connections and never answers: an area system that hangs."""
    held: list = []

    async def hold(reader, writer):
        held.append(writer)
        await asyncio.sleep(30)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], held


def _cursor(value: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))


async def test_feed_serves_the_other_areas_when_one_is_down_or_slow(stack):
    area = httpx.ASGITransport(app=with_client_cert(stack.area_app, stack.world.hub_client.pem))
    hung, port, held = await _hung_listener()
    urls = {f"{i:02d}": "https://area.test" for i in range(1, 11)}
    urls.update({"06": "https://down.test", "09": f"https://127.0.0.1:{port}"})
    down = httpx.MockTransport(lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused")))
    saved = stack.hub_app.state.areas
    stack.hub_app.state.areas = HttpsAreaClient(urls, timeout=0.5, transports={
        "https://area.test": area, "https://down.test": down})
    spid = smart_point_of(stack.world, "M0300", skip=53)
    try:
        with frozen(NOW):
            async with stack.client("A0001") as a:
                filed = (await a.post("/api/v1/applications/switch-start", json=start_body(spid))).json()
                started = asyncio.get_running_loop().time()
                feed = await a.get("/api/v1/applications")
                took = asyncio.get_running_loop().time() - started
    finally:
        await stack.hub_app.state.areas.aclose()
        stack.hub_app.state.areas = saved
        for writer in held:
            writer.close()
        hung.close()
        await hung.wait_closed()
    assert feed.status_code == 200
    body = feed.json()
    assert [(i["application_no"], i["to_stage"]) for i in body["items"]] == [
        (filed["application_no"], "01"), (filed["application_no"], "04")]
    assert body["unavailable_areas"] == [{"area": "06", "status": 503, "code": "area_unavailable"},
                                         {"area": "09", "status": 504, "code": "area_timeout"}]
    position = _cursor(body["next_cursor"])
    assert "06" not in position and "09" not in position and position["03"] > 0
    assert took < 1.5  # asked concurrently: one timeout, not one per slow area in turn
