"""A down or slow area answers 503/504 for that area only; other areas keep answering (R4)."""

from __future__ import annotations

import asyncio

from tests.hub.helpers import point_of
from tests.live import free_port, start_live, stop_live


async def _slow_tls_listener(port: int, stop: asyncio.Event) -> None:
    """Accepts TCP connections and never answers (a hung area system)."""
    async def hang(reader, writer):
        await stop.wait()
        writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", port)
    async with server:
        await stop.wait()


async def test_down_and_slow_areas_fail_alone(world):
    dead_port, slow_port = free_port(), free_port()  # nothing listens on dead_port
    live = start_live(world, tag="isolation", settings_changes={"area_timeout_s": 1.0})
    area_url = live.area_base
    live.hub_app.state.areas.urls.update({"06": f"https://127.0.0.1:{dead_port}",
                                          "09": f"https://127.0.0.1:{slow_port}"})
    stop = asyncio.Event()
    slow = asyncio.create_task(_slow_tls_listener(slow_port, stop))
    try:
        tokyo, kansai, kyushu = point_of(world, "M0300", "03"), point_of(world, "M0600", "06"), \
            point_of(world, "M0900", "09")
        async with live.client("A0001") as c:
            down = await c.get(f"/api/v1/supply-points/{kansai}")
            hung = await c.get(f"/api/v1/supply-points/{kyushu}")
            ok = await c.get(f"/api/v1/supply-points/{tokyo}")
            batch = await c.post("/api/v1/supply-points:batch-get", json={"spids": [tokyo, kansai]})
        assert down.status_code == 503 and down.json()["code"] == "area_unavailable" and down.json()["area"] == "06"
        assert hung.status_code == 504 and hung.json()["code"] == "area_timeout"
        assert ok.status_code == 200
        body = batch.json()
        assert [p["spid"] for p in body["items"]] == [tokyo]
        assert body["failed"][0]["spid"] == kansai and body["failed"][0]["status"] == 503
        assert area_url.startswith("https://127.0.0.1:")
    finally:
        stop.set()
        await slow
        stop_live(live)
