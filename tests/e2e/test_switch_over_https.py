"""Two demo retailers complete a switch over HTTPS against real servers; the worker's jobs and
the area → hub event delivery run as the worker runs them (own engines, HTTPS with the area's
certificate); the facility lookup afterwards shows the change."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from switchhub.area.applications.tasks import HANDLERS as AREA_JOBS
from switchhub.area.outbox.dispatcher import deliver, https_poster
from switchhub.db.engine import make_engine
from switchhub.db.jobs import run_due
from switchhub.kernel.clock import JST, FixedClock, get_clock, set_clock
from tests.flow.helpers import smart_point_of
from tests.flow.test_switch_api import relay_body, start_body
from tests.live import ca_file


async def test_two_retailers_complete_a_switch_over_https(live):
    world = live.world
    spid = smart_point_of(world, "M0300", skip=60)
    area_engine = make_engine(live.area_db, pool_size=2)
    poster = https_poster(live.hub_base, (str(world.area_client.cert), str(world.area_client.key)),
                          str(ca_file(world)))
    previous = get_clock()
    clock = FixedClock(datetime.now(JST))
    set_clock(clock)
    try:
        async with live.client("A0001") as new, live.client("M0300") as cur:
            relay = (await new.post("/api/v1/relays", json=relay_body(spid, requested_switch_date="2030-01-31"))).json()
            decided = await cur.post(f"/api/v1/relays/{relay['relay_no']}/decision",
                                     json={"decision": "01", "staff_name": "現 太郎"})
            assert decided.json()["status"] == "02"
            start = (await new.post("/api/v1/applications/switch-start",
                                    json=start_body(spid, relay["relay_no"]))).json()
            end = (await cur.post("/api/v1/applications/switch-end",
                                  json={"spid": spid, "switch_date": start["switch_date"]})).json()
            assert end["stage"] == "05"
            assert await deliver(area_engine, poster) >= 4
            assert (await new.get(f"/api/v1/relays/{relay['relay_no']}")).json()["status"] == "04"

            clock.set(datetime.combine(date.fromisoformat(start["switch_date"]), datetime.min.time(), JST)
                      + timedelta(hours=1))
            assert await run_due(area_engine, AREA_JOBS, clock.now()) >= 1
            await deliver(area_engine, poster)
            mine = (await new.get(f"/api/v1/supply-points/{spid}")).json()
            theirs = (await cur.get(f"/api/v1/supply-points/{spid}")).json()
            status = (await new.get(f"/api/v1/applications/{start['application_no']}")).json()
        assert status["stage"] == "06" and status["supply_start_date"] == start["switch_date"]
        assert mine["current_retailer_code"] == "A0001" and mine["current_retailer_name"]
        assert "current_retailer_code" not in theirs and "customer_name_kanji" not in theirs
    finally:
        set_clock(previous)
        await poster.aclose()
        await area_engine.dispose()
