"""Trust between hub and areas: an area certificate posts events only for the areas it is bound to."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from tests.hub.helpers import audit_rows
from tests.support import build_stack, close_stack, with_client_cert


def _event(event_id: int, area: str) -> dict:
    return {"id": event_id, "area": area, "kind": "switch.matched",
            "payload": {"spid": f"{area}" + "0" * 20, "relay_no": None, "switch_date": "2027-01-15",
                        "start_no": f"{area}2027010100000001", "end_no": f"{area}2027010100000002",
                        "new_retailer": "A0001", "current_retailer": "A0002"}}


async def _post(stack, events: list[dict]) -> httpx.Response:
    transport = httpx.ASGITransport(app=with_client_cert(stack.hub_app, stack.world.area_client.pem))
    async with httpx.AsyncClient(transport=transport, base_url="https://hub.test") as client:
        return await client.post("/internal/v1/area-events", json={"events": events})


async def _received(stack) -> list[tuple[str, int]]:
    async with stack.hub_app.state.engine.connect() as conn:
        rows = await conn.execute(text("SELECT area, event_id FROM area_events ORDER BY area, event_id"))
        return [(r.area, r.event_id) for r in rows]


async def test_an_area_03_certificate_cannot_post_area_06_events(world):
    stack = build_stack(world, settings_changes={
        "area_certificates": {world.area_client.fingerprint: frozenset({"03"})}})
    try:
        foreign = await _post(stack, [_event(1, "06")])
        mixed = await _post(stack, [_event(2, "03"), _event(3, "06")])
        own = await _post(stack, [_event(4, "03")])
        assert (foreign.status_code, foreign.json()["code"]) == (403, "area_not_bound")
        assert (mixed.status_code, mixed.json()["code"]) == (403, "area_not_bound")
        assert own.status_code == 200 and own.json() == {"accepted": 1, "duplicates": 0}
        assert await _received(stack) == [("03", 4)]  # nothing of a refused batch was applied
        alerts = audit_rows(stack.hub_url, "alert.area_event.foreign_area")
        assert [(a["resource_ids"], a["detail"]["areas"], a["detail"]["certificate_areas"], a["outcome"],
                 a["cert_fingerprint"]) for a in alerts] == [
            (["1"], ["06"], ["03"], "refused", world.area_client.fingerprint),
            (["3"], ["06"], ["03"], "refused", world.area_client.fingerprint)]
    finally:
        await close_stack(stack)


async def test_an_unbound_certificate_cannot_post_at_all(stack):
    transport = httpx.ASGITransport(app=with_client_cert(stack.hub_app, stack.world.hub_client.pem))
    async with httpx.AsyncClient(transport=transport, base_url="https://hub.test") as client:
        r = await client.post("/internal/v1/area-events", json={"events": [_event(1, "03")]})
    assert (r.status_code, r.json()["code"]) == (403, "area_certificate_required")
    assert await _received(stack) == []
    refused = audit_rows(stack.hub_url, "auth.certificate.refused")
    assert [(x["outcome"], x["cert_fingerprint"]) for x in refused] == [
        ("area_certificate_required", stack.world.hub_client.fingerprint)]


async def test_events_that_do_not_fit_the_contract_are_refused_whole(stack):
    """An unknown kind, or a payload missing what its kind carries, is a 422 naming the event;
    nothing of the batch is kept (the good event before it neither)."""
    unknown = await _post(stack, [_event(10, "03"), {**_event(11, "03"), "kind": "switch.teleported"}])
    short = _event(13, "03")
    del short["payload"]["start_no"]
    missing = await _post(stack, [_event(12, "03"), short])
    assert unknown.status_code == 422
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "events[13].payload"
    assert await _received(stack) == []
