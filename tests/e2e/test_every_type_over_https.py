"""Every application type over HTTPS against real servers, filed by the retailers' API clients, with
the worker's jobs and the area → hub event delivery run as the worker runs them (own engines, HTTPS
with the area's certificate): termination, removal, ampere change and customer change by the current
retailer, and a move-in (reconnection) at a vacant point by a new retailer. After the dates the hub
answers each application as 処理完了 and the facility lookup shows what processes.md P5/P6 say."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from switchhub.area.applications.tasks import HANDLERS as AREA_JOBS
from switchhub.area.outbox.dispatcher import deliver, https_poster
from switchhub.db.engine import make_engine
from switchhub.db.jobs import run_due
from switchhub.kernel.clock import JST, FixedClock, get_clock, set_clock
from tests.flow.test_application_types import supplied, vacant
from tests.live import ca_file

START = datetime(2026, 11, 24, 10, 0, tzinfo=JST)  # a Tuesday
MOVER = {"service_menu": "01", "capacity_method": "1", "contract_current": 30, "customer_name_kana": "イジュウ ハナコ",
         "customer_name_kanji": "移住 花子", "customer_phone": "090-2222-3333", "consent": True,
         "move_in_time": "09:30"}


async def test_every_type_from_filing_to_execution_over_https(live):
    world = live.world
    ended, removed, ampere, renamed = (supplied(world, "M0300", skip=s, extra="p.capacity_method = '1'"
                                                " AND p.contract_current IS DISTINCT FROM 60") for s in (300, 301, 302, 303))
    moving_in = vacant(world, skip=7)
    area_engine = make_engine(live.area_db, pool_size=2)
    poster = https_poster(live.hub_base, (str(world.area_client.cert), str(world.area_client.key)),
                          str(ca_file(world)))
    previous = get_clock()
    clock = FixedClock(START)
    set_clock(clock)
    try:
        async with live.client("M0300") as cur, live.client("A0001") as new:
            filed = {
                "01": await cur.post("/api/v1/applications/termination", json={"spid": ended}),
                "02": await cur.post("/api/v1/applications/termination", json={
                    "spid": removed, "remove_meter": True, "contact_name": "現地 太郎", "contact_phone": "03-1234-5678"}),
                "06": await cur.post("/api/v1/applications/ampere-change", json={"spid": ampere, "contract_current": 60}),
                "07": await cur.post("/api/v1/applications/customer-change", json={
                    "spid": renamed, "customer_name_kana": "シンメイ タロウ", "customer_name_kanji": "新名 太郎"}),
                "04": await new.post("/api/v1/applications/reconnection", json={"spid": moving_in, **MOVER}),
            }
            for code, r in filed.items():
                assert r.status_code == 201, (code, r.text)
                assert r.json()["type"] == code and r.json()["stage"] in ("01", "03", "04", "05"), r.json()
            answers = {code: r.json() for code, r in filed.items()}
            # removal: 3 business days (Fri 27), the others the next business day (Wed 25) — processes.md P5/P6
            assert answers["02"]["requested_date"] == "2026-11-27"
            assert {answers[c]["requested_date"] for c in ("01", "06", "07", "04")} == {"2026-11-25"}
            await deliver(area_engine, poster)

            for day in range(1, 5):  # each midnight the worker runs what is due
                clock.set(datetime.combine(START.date() + timedelta(days=day), datetime.min.time(), JST)
                          + timedelta(minutes=5))
                await run_due(area_engine, AREA_JOBS, clock.now())
                await deliver(area_engine, poster)

            status = {code: (await (new if code == "04" else cur).get(
                f"/api/v1/applications/{a['application_no']}")).json() for code, a in answers.items()}
            looks = {code: (await (new if code == "04" else cur).get(f"/api/v1/supply-points/{spid}")).json()
                     for code, spid in (("01", ended), ("02", removed), ("06", ampere), ("07", renamed),
                                        ("04", moving_in))}
            feed = (await cur.get("/api/v1/applications", params={"limit": 1000})).json()
        for code, s in status.items():
            assert s["stage"] == "06", (code, s)
            assert s["effective_date"] == answers[code]["requested_date"], (code, s)
        assert looks["01"]["contract_status"] == "2"  # 廃止中
        assert looks["02"]["contract_status"] == "3" and all(m["removed"] for m in looks["02"]["meters"])  # 撤去
        assert "current_retailer_code" not in looks["01"]  # nobody supplies it any more
        assert looks["06"]["contract_current"] == 60
        assert looks["07"]["customer_name_kanji"] == "新名 太郎"
        assert looks["04"]["current_retailer_code"] == "A0001" and looks["04"]["customer_name_kanji"] == "移住 花子"
        assert looks["04"]["contract_status"] == "1"
        assert status["01"]["supply_end_date"] == str(date(2026, 11, 24))
        mine = {(i["application_no"], i["to_stage"]) for i in feed["items"]}
        for code in ("01", "02", "06", "07"):
            assert (answers[code]["application_no"], "06") in mine, code
    finally:
        set_clock(previous)
        await poster.aclose()
        await area_engine.dispose()
