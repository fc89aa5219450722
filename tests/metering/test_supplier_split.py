"""A switch executed inside a billing period (relay → switch-start + switch-end → executed on the date
at the HTTP interface; a customer-requested date off the reading day) moves the point from one
retailer's files to the other's on the switch date: in the monthly files of the reading day that
closes the point's period (kernel/calendar: its reading-day code), the old retailer's record has the
days before the switch, the new retailer's the days from it, together the whole period with no day
twice; the past-day files of the two days around the switch agree."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

from lxml import etree

from switchhub.area.metering import reader, service
from switchhub.area.metering import tasks as metering_tasks
from switchhub.area.metering.jsonrender import to_document
from switchhub.kernel.calendar import business_days_between, reading_dates_on_or_after
from tests.flow.helpers import frozen, settle, smart_point_of
from tests.flow.test_switch_api import relay_body, start_body
from tests.metering.helpers import files, ingest, run_metering_jobs, xsd
from tests.support import execute

NOW = datetime(2026, 11, 24, 10, 0)  # a Tuesday


def _value(day: date, slot: int) -> str:
    return f"{day.day}.{slot:02d}00"  # distinct per day and slot, 4 decimals


async def _switch(stack, spid: str, on: date | None = None) -> date:
    """Switch the point from M0300 to A0001 on its next reading day, or `on` (the customer's date)."""
    wanted = {} if on is None else {"switch_date": on.isoformat(), "customer_request": True}
    async with stack.client("A0001") as new, stack.client("M0300") as cur:
        relay_no = (await new.post("/api/v1/relays", json=relay_body(spid))).json()["relay_no"]
        await cur.post(f"/api/v1/relays/{relay_no}/decision", json={"decision": "01", "staff_name": "現 太郎"})
        start = await new.post("/api/v1/applications/switch-start", json=start_body(spid, relay_no, **wanted))
        assert start.status_code == 201, start.text
        start = start.json()
        end = await cur.post("/api/v1/applications/switch-end",
                             json={"spid": spid, "switch_date": start["switch_date"], "relay_no": relay_no})
        assert end.status_code == 201, end.text
    return date.fromisoformat(start["switch_date"])


def _zip(stack, file_id: int) -> bytes:
    return bytes(execute(stack.area_url, "SELECT zip FROM metering_files WHERE id = %s", (file_id,))[0][0])


def _point_in(stack, retailer: str, type_: str, target: date, spid: str):
    found = []
    for f in files(stack, retailer_code=retailer, type=type_, target=target):
        found += [p for p in reader.read_zip(_zip(stack, f["id"]))[1].points if p.spid == spid]
    return found


async def test_a_switch_inside_a_billing_period_splits_the_monthly_files_exactly(stack):
    spid = smart_point_of(stack.world, "M0300")
    [code] = execute(stack.area_url, "SELECT reading_day_code FROM supply_points WHERE area = '03' AND spid = %s",
                     (spid,))[0]
    opens, closes = reading_dates_on_or_after("03", code, date(2026, 12, 1), 2)  # the period [opens, closes)
    on = opens + timedelta(days=5)
    assert on < closes and on not in reading_dates_on_or_after("03", code, opens, 2)  # off the reading days
    with frozen(NOW) as clock:
        switch_date = await _switch(stack, spid, on)
        assert switch_date == on
        await settle(stack)
        clock.set(datetime.combine(switch_date, datetime.min.time()) + timedelta(minutes=5))
        await settle(stack)
    periods = execute(stack.area_url, "SELECT retailer_code, valid_from, valid_to FROM supply_periods"
                                      " WHERE area = '03' AND spid = %s ORDER BY valid_from", (spid,))
    assert periods[-2][0] == "M0300" and periods[-2][2] == switch_date - timedelta(days=1)
    assert periods[-1][:2] == ("A0001", switch_date)

    days = [opens + timedelta(days=i) for i in range((closes - opens).days)]
    await ingest(stack, [{"spid": spid, "date": d.isoformat(), "slot": s, "kwh": _value(d, s), "status": "0"}
                         for d in days for s in range(1, 49)])
    run_at = metering_tasks.monthly_run_at(closes, "03")
    assert 0 < business_days_between(closes, run_at.date(), "03") <= 4  # metering.md: within 4 business days
    async with stack.area_app.state.engine.begin() as conn:
        await metering_tasks.schedule(conn, run_at, ["03"])
    assert await run_metering_jobs(stack, run_at) >= 1
    m0 = closes  # the monthly files of a reading day: its date is their target

    old = _point_in(stack, "M0300", "W51220", m0, spid)
    new = _point_in(stack, "A0001", "W51220", m0, spid)
    assert len(old) == 1 and len(new) == 1
    old_days, new_days = [d.day for d in old[0].days], [d.day for d in new[0].days]
    assert old_days == days[:days.index(switch_date)]  # from the period's first day to the day before the switch
    assert new_days == days[days.index(switch_date):]  # from the switch date to the day before the reading day
    assert set(old_days) | set(new_days) == set(days) and not set(old_days) & set(new_days)
    for part in (old[0], new[0]):
        for d in part.days:
            assert [r.kwh for r in d.readings] == [Decimal(_value(d.day, s)) for s in range(1, 49)]
        expected = sum((Decimal(_value(d, s)) for d in [x.day for x in part.days] for s in range(1, 49)),
                       Decimal(0))
        assert part.total_kwh == expected and part.confirmed_kwh is None
        assert part.max_demand_kw == max(Decimal(_value(x.day, 48)) for x in part.days) * 2

    # every monthly file of the month: valid against the XSD, its JSON rendering the same values
    schema = xsd()
    for f in files(stack, target=m0):
        if not f["type"].startswith("W"):
            continue
        data = _zip(stack, f["id"])
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            assert schema.validate(etree.fromstring(zf.read(zf.namelist()[0]))), schema.error_log
        doc = reader.read_zip(data)[1]
        js = json.loads(gzip.decompress(bytes(execute(stack.area_url, "SELECT json FROM metering_files"
                                                                      " WHERE id = %s", (f["id"],))[0][0])))
        assert to_document(js, doc.header) == doc

    # the past-day files of the day before and the switch date: the point is in exactly one
    before = switch_date - timedelta(days=1)
    async with stack.area_app.state.engine.begin() as conn:
        for d in (before, switch_date):
            await service.build_day(conn, "03", d, run_at, "1")
    assert len(_point_in(stack, "M0300", "W41120", before, spid)) == 1
    assert _point_in(stack, "A0001", "W41120", before, spid) == []
    assert _point_in(stack, "M0300", "W41120", switch_date, spid) == []
    assert len(_point_in(stack, "A0001", "W41120", switch_date, spid)) == 1
