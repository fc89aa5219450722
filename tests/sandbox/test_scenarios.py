"""The scenario table of docs/sandbox.md, scenario by scenario, through the hub's API.

The table is written here from the documentation, not imported: the last 4 digits of the spid → what
the hub answers. Scenario points (9902, 9903, 9905) are copies of the first point M0300 supplies in
area 03 that takes every application type (docs/sandbox.md), under its spid with the last 4 digits
replaced; 9901, 9904 and 9906 need no point. The slow and timeout scenarios run over real TLS
sockets (httpx's timeouts are the hub's), with the hub's area timeout at 2.5 s.
"""

from __future__ import annotations

import time

from tests.flow.helpers import smart_point_of
from tests.support import execute

EXPECTED = {  # suffix → (lookup status, lookup code, termination filing status, filing code)
    "9901": (404, "not_found", 404, "not_found"),
    "9902": (200, None, 409, "contract_status"),
    "9905": (200, None, 201, None),
    "9906": (503, "area_unavailable", 503, "area_unavailable"),
}


def source_of(stack) -> str:
    rows = execute(
        stack.area_url,
        "SELECT p.spid FROM supply_points p JOIN supply_periods s ON s.area = p.area"
        " AND s.spid = p.spid AND s.valid_to IS NULL WHERE p.area = '03'"
        " AND s.retailer_code = 'M0300' AND p.contract_status = '1' AND p.channel = 'low'"
        " AND p.capacity_method = '1' AND p.meters @> '[{\"smart\": true}]'"
        " AND right(p.spid, 4) NOT LIKE '99__' ORDER BY p.spid LIMIT 1",
        (),
    )
    return rows[0][0]


def spid_for(stack, suffix: str) -> str:
    return source_of(stack)[:18] + suffix


async def test_each_scenario_answers_lookups_and_filings_as_documented(sandbox):
    stack, _ = sandbox
    wrong = []
    async with stack.client("M0300") as c:
        for suffix, (look_status, look_code, file_status, file_code) in EXPECTED.items():
            spid = spid_for(stack, suffix)
            r = await c.get(f"/api/v1/supply-points/{spid}")
            got = (r.status_code, r.json().get("code") if r.status_code >= 400 else None)
            if got != (look_status, look_code):
                wrong.append((suffix, "lookup", got, r.text[:150]))
            f = await c.post("/api/v1/applications/termination", json={"spid": spid, "reason_note": "転居"})
            got = (f.status_code, f.json().get("code") if f.status_code >= 400 else None)
            if got != (file_status, file_code):
                wrong.append((suffix, "termination", got, f.text[:150]))
    assert wrong == []


async def test_a_refused_filing_names_the_refusal_in_japanese_for_every_kind(sandbox):
    stack, _ = sandbox
    spid = spid_for(stack, "9902")
    async with stack.client("M0300") as c:
        r = await c.post("/api/v1/applications/ampere-change", json={"spid": spid, "contract_current": 40})
    assert r.status_code == 409 and r.json()["code"] == "contract_status"
    assert "契約状態チェックエラー" in r.json()["detail"]


async def test_a_batch_answers_a_9901_point_as_absent_and_a_9906_point_fails_the_areas_call(sandbox):
    stack, _ = sandbox
    normal = smart_point_of(stack.world, "M0300")
    async with stack.client("M0300") as c:
        ok = await c.post(
            "/api/v1/supply-points:batch-get", json={"spids": [normal, spid_for(stack, "9901")]}
        )
        down = await c.post(
            "/api/v1/supply-points:batch-get", json={"spids": [normal, spid_for(stack, "9906")]}
        )
    assert ok.status_code == 200, ok.text
    items = {i["spid"]: i for i in ok.json()["items"]}
    assert list(items) == [normal]
    assert ok.json()["not_found"] == [spid_for(stack, "9901")]
    # the batch goes to the area in one call: the whole call fails, and the hub lists its spids as failed
    assert down.status_code == 200, down.text
    assert down.json()["items"] == []
    assert {(f["spid"], f["status"], f["code"]) for f in down.json()["failed"]} == {
        (normal, 503, "area_unavailable"),
        (spid_for(stack, "9906"), 503, "area_unavailable"),
    }


async def test_ordinary_points_are_not_touched_by_the_stub(sandbox):
    stack, _ = sandbox
    normal = smart_point_of(stack.world, "M0300")
    async with stack.client("M0300") as c:
        r = await c.get(f"/api/v1/supply-points/{normal}")
    assert r.status_code == 200 and r.json()["spid"] == normal


def test_slow_answers_after_two_seconds_and_a_stall_is_the_hubs_504(world, monkeypatch):
    """Real sockets: the hub's area timeout (5 s here: 3 s of slack over the slow answer's 2 s on a loaded
    machine) is httpx's read timeout."""
    import asyncio

    from switchhub.kernel.clock import get_clock, set_clock
    from tests.live import start_live, stop_live

    monkeypatch.setenv("SWITCHHUB_METERING_OPERATION_MODE", "0")
    previous = get_clock()
    live = start_live(
        world,
        tag=f"sbx_{int(time.time() * 1000) % 10**8}",
        settings_changes={"sandbox": True, "area_timeout_s": 5.0},
    )

    class _Urls:
        hub_url, area_url = live.hub_db, live.area_db

    async def scenario_points() -> None:
        from switchhub.db.engine import make_engine
        from switchhub.sandbox.points import create_scenario_points

        engine = make_engine(live.area_db, pool_size=1)
        async with engine.begin() as conn:
            await create_scenario_points(conn)
        await engine.dispose()

    async def calls() -> list[tuple[int, str | None, float]]:
        out = []
        source = source_of(_Urls)
        async with live.client("M0300") as c:
            for suffix in ("9903", "9904"):
                t0 = time.monotonic()
                r = await c.get(f"/api/v1/supply-points/{source[:18]}{suffix}")
                out.append(
                    (
                        r.status_code,
                        r.json().get("code") if r.status_code >= 400 else None,
                        time.monotonic() - t0,
                    )
                )
        return out

    try:
        asyncio.run(scenario_points())
        (slow_status, _, slow_s), (stall_status, stall_code, stall_s) = asyncio.run(calls())
    finally:
        stop_live(live)
        set_clock(previous)
    assert slow_status == 200 and 2.0 <= slow_s < 5.0
    assert (stall_status, stall_code) == (504, "area_timeout") and 5.0 <= stall_s < 7.5
