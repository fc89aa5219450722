"""Metering files built by the area's keyed jobs from readings ingested through the area's API, and
fetched through /area/v1/metering/files: exactly the retailer's supplied points, round trip through
the project's reader, XSD-valid, sequences, revisions, operation mode, jobs once per key across a
restart, and visibility (another retailer's file is not found)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

from lxml import etree

from switchhub.area.metering import reader, service
from switchhub.area.metering import tasks as metering_tasks
from switchhub.db.engine import make_engine
from switchhub.db.jobs import enqueue
from switchhub.kernel.calendar import business_days_between, reading_date, valid_reading_codes
from switchhub.kernel.clock import JST
from tests.flow.helpers import frozen
from tests.metering.helpers import acting, area_client, files, ingest, quiet, run_metering_jobs, supplied, xsd
from tests.support import execute

DAY = date(2026, 11, 30)
AFTER_DAY = datetime(2026, 12, 1, 4, 5, tzinfo=JST)  # past-day files: 04:00 JST the next day


def _rows(spid: str, values: dict[int, str], day: date = DAY) -> list[dict]:
    return [{"spid": spid, "date": day.isoformat(), "slot": s, "kwh": v, "status": "0"} for s, v in values.items()]


async def _past_day(stack, now: datetime = AFTER_DAY) -> None:
    async with stack.area_app.state.engine.begin() as conn:
        await metering_tasks.schedule(conn, now, ["03"])
    await run_metering_jobs(stack, now)


async def _download(c, file_id: str, who: dict, fmt: str = "zip"):
    return await c.get(f"/area/v1/metering/files/{file_id}", params={"format": fmt}, headers=who)


async def test_past_day_files_hold_exactly_the_supplied_points_and_round_trip(stack, monkeypatch):
    monkeypatch.setenv("SWITCHHUB_METERING_OPERATION_MODE", "1")  # test data, as the demo and sandbox send
    spids = supplied(stack, "M0300", DAY)
    a, b = quiet(stack, spids, DAY, DAY)[:2]  # no generated readings on the day: slot 3 stays empty
    await ingest(stack, _rows(a, {1: "0.0000", 2: "123456.7890", 48: "0.0001"}) + _rows(b, {s: "1.25" for s in
                                                                                            range(1, 49)}))
    await _past_day(stack)
    mine = files(stack, retailer_code="M0300", type="W41120")
    assert [(f["sequence"], f["revision"], f["points"], f["operation_mode"]) for f in mine] == [
        (1, 1, len(spids), "1")]
    assert mine[0]["name"] == "W41120_20261130_0000_001_r1.zip"
    async with area_client(stack) as c:
        listed = (await c.get("/area/v1/metering/files", params={"type": "W41120", "date_from": "2026-11-30"},
                              headers=acting("M0300"))).json()
        item = next(i for i in listed["items"] if i["retailer_code"] == "M0300")
        assert (item["target_date"], item["target_month"], item["slot_time"]) == ("2026-11-30", None, None)
        r = await _download(c, item["file_id"], acting("M0300"))
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        js = (await _download(c, item["file_id"], acting("M0300"), "json")).json()
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert zf.namelist() == ["W41120_20261130_0000_001_r1.xml"]
        assert xsd().validate(etree.fromstring(zf.read(zf.namelist()[0])))
    name, doc = reader.read_zip(r.content)
    assert doc.header.operation_mode == "1" and doc.header.receiver_code == "M0300"
    assert doc.header.sender_code == "T0300" and doc.header.target == DAY
    assert [p.spid for p in doc.points] == spids  # exactly the supplied points, in spid order
    pa = next(p for p in doc.points if p.spid == a)
    assert [pa.readings[i].kwh for i in (0, 1, 2, 47)] == [Decimal("0.0000"), Decimal("123456.7890"), None,
                                                            Decimal("0.0001")]
    assert str(pa.readings[0].kwh) == "0.0000" and pa.readings[2].status is None
    pb = next(p for p in doc.points if p.spid == b)
    assert {r.kwh for r in pb.readings} == {Decimal("1.2500")}
    ja = next(p for p in js["points"] if p["spid"] == a)
    assert ja["kwh"][:3] == ["0.0000", "123456.7890", None] and ja["status"][:3] == [0, 0, None]
    # every generated file of the day (all retailers, both voltages) is valid against the XSD
    schema = xsd()
    for f in files(stack, target=DAY):
        data = execute(stack.area_url, "SELECT zip FROM metering_files WHERE id = %s", (f["id"],))[0][0]
        with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
            assert schema.validate(etree.fromstring(zf.read(zf.namelist()[0]))), (f["name"], schema.error_log)


async def test_sequences_split_at_n_points(stack):
    spids = supplied(stack, "M0300", DAY)
    async with stack.area_app.state.engine.begin() as conn:
        await service.build_day(conn, "03", DAY, AFTER_DAY, "1", retailer="M0300", per_file=100)
    mine = files(stack, retailer_code="M0300", type="W41120")
    assert [f["sequence"] for f in mine] == list(range(1, -(-len(spids) // 100) + 1))
    assert all(f["points"] == 100 for f in mine[:-1]) and sum(f["points"] for f in mine) == len(spids)
    assert mine[1]["name"] == "W41120_20261130_0000_002_r1.zip"
    seen = []
    for f in mine:
        data = execute(stack.area_url, "SELECT zip FROM metering_files WHERE id = %s", (f["id"],))[0][0]
        seen += [p.spid for p in reader.read_zip(bytes(data))[1].points]
    assert seen == spids
    # fewer sequences needed now: sequence 1 changes (revision 2), the others get an empty revision 2
    async with stack.area_app.state.engine.begin() as conn:
        await service.build_day(conn, "03", DAY, AFTER_DAY, "1", retailer="M0300")
    latest = {f["sequence"]: f for f in files(stack, retailer_code="M0300", type="W41120", revision=2)}
    assert sorted(latest) == [f["sequence"] for f in mine]
    assert latest[1]["points"] == len(spids) and all(latest[s]["points"] == 0 for s in list(latest)[1:])
    assert latest[2]["supersedes"] == mine[1]["id"]
    empty = execute(stack.area_url, "SELECT zip FROM metering_files WHERE id = %s", (latest[2]["id"],))[0][0]
    with zipfile.ZipFile(io.BytesIO(bytes(empty))) as zf:
        assert xsd().validate(etree.fromstring(zf.read(zf.namelist()[0])))
    assert reader.read_zip(bytes(empty))[1].points == ()


async def test_a_correction_is_revision_2_and_an_unchanged_rebuild_stores_nothing(stack):
    spid = supplied(stack, "A0001", DAY)[0]
    await ingest(stack, _rows(spid, {10: "2.0000"}))
    await _past_day(stack)
    first = files(stack, retailer_code="A0001", type="W41120")
    assert [(f["revision"], f["supersedes"]) for f in first] == [(1, None)]
    later = datetime(2026, 12, 2, 9, 0, tzinfo=JST)
    with frozen(later - timedelta(hours=1)):  # the rebuild is due from the ingest time, not the real clock's
        await ingest(stack, _rows(spid, {10: "2.5000"}))  # a corrected slot of a day whose files exist
    rebuilds = execute(stack.area_url, "SELECT key, payload FROM jobs WHERE kind = 'metering.rebuild'")
    assert [(k.split(":")[:2], p["retailers"]) for k, p in rebuilds] == [(["03", "2026-11-30"], ["A0001"])]
    await run_metering_jobs(stack, later)
    now = files(stack, retailer_code="A0001", type="W41120")
    assert [(f["revision"], f["supersedes"]) for f in now] == [(1, None), (2, first[0]["id"])]
    assert now[1]["name"] == "W41120_20261130_0000_001_r2.zip"
    other = files(stack, retailer_code="M0300", type="W41120")
    assert [f["revision"] for f in other] == [1]  # the other retailers' files did not change
    async with area_client(stack) as c:
        listed = (await c.get("/area/v1/metering/files", headers=acting("A0001"))).json()["items"]
        r2 = next(i for i in listed if i["revision"] == 2)
        assert r2["supersedes"] == f"03-{first[0]['id']:06d}"
        doc = reader.read_zip((await _download(c, r2["file_id"], acting("A0001"))).content)[1]
    assert doc.header.revision == 2
    assert next(p for p in doc.points if p.spid == spid).readings[9].kwh == Decimal("2.5000")
    async with stack.area_app.state.engine.begin() as conn:  # the same content again: no revision
        assert await service.build_day(conn, "03", DAY, later, "0") == []  # the jobs ran live (mode 0, the default)
    assert len(files(stack, type="W41120", retailer_code="A0001")) == 2


async def test_jobs_run_once_per_key_and_survive_a_restart(stack):
    async with stack.area_app.state.engine.begin() as conn:
        await metering_tasks.schedule(conn, AFTER_DAY, ["03"])
        await metering_tasks.schedule(conn, AFTER_DAY, ["03"])  # the same keys again: nothing new
    pending = execute(stack.area_url, "SELECT count(*) FROM jobs WHERE kind = 'metering.past_day'"
                                      " AND key = '03:2026-11-30' AND done_at IS NULL")[0][0]
    assert pending == 1
    await stack.area_app.state.engine.dispose()  # the worker restarts: a new engine, the jobs are in the database
    engine = make_engine(stack.area_url, pool_size=1)
    try:
        assert await run_metering_jobs(stack, AFTER_DAY, engine) >= 1
        built = files(stack, type="W41120")
        assert built and await run_metering_jobs(stack, AFTER_DAY, engine) == 0
        async with engine.begin() as conn:
            await enqueue(conn, metering_tasks.PAST_DAY_JOB, "03:2026-11-30", AFTER_DAY)
        assert await run_metering_jobs(stack, AFTER_DAY, engine) == 0
        assert files(stack, type="W41120") == built
    finally:
        await engine.dispose()


async def test_today_files_carry_one_slot(stack, monkeypatch):
    monkeypatch.delenv("SWITCHHUB_METERING_OPERATION_MODE", raising=False)  # unset: live (metering.md: 0)
    spids = supplied(stack, "A0001", DAY)
    await ingest(stack, _rows(spids[0], {20: "0.3000"}))
    at = datetime(2026, 11, 30, 10, 20, tzinfo=JST)  # slot 20 (09:30–10:00) + 15 minutes
    async with stack.area_app.state.engine.begin() as conn:
        await metering_tasks.schedule(conn, at, ["03"])
    await run_metering_jobs(stack, at)
    # the slots that ended (+15 min) within the 2 hours before: 17 (08:00–08:30) … 20 (09:30–10:00)
    assert [f["slot"] for f in files(stack, retailer_code="A0001", type="W41110")] == [17, 18, 19, 20]
    today = files(stack, retailer_code="A0001", type="W41110", slot=20)
    assert [(f["slot"], f["name"], f["points"], f["operation_mode"]) for f in today] == [
        (20, "W41110_20261130_0930_001_r1.zip", len(spids), "0")]
    data = execute(stack.area_url, "SELECT zip FROM metering_files WHERE id = %s", (today[0]["id"],))[0][0]
    doc = reader.read_zip(bytes(data))[1]
    assert doc.header.slot == 20 and doc.header.operation_mode == "0"
    assert [p.readings[0].kwh for p in doc.points if p.spid == spids[0]] == [Decimal("0.3000")]


async def test_visibility_another_retailers_file_is_not_found(stack):
    await _past_day(stack)
    mine = files(stack, retailer_code="A0001", type="W41120")[0]
    fid = f"03-{mine['id']:06d}"
    async with area_client(stack) as c:
        assert (await _download(c, fid, acting("A0001"))).status_code == 200
        for who in (acting("A0002"), acting("M0300"), acting("T0600", "tso", "06")):
            r = await _download(c, fid, who)
            assert r.status_code == 404 and "計量データファイル" in r.json()["detail"], r.text
        assert (await _download(c, fid, acting("T0300", "tso", "03"))).status_code == 200
        assert (await _download(c, "06-" + fid[3:], acting("A0001"))).status_code == 404
        others = (await c.get("/area/v1/metering/files", params={"retailer": "A0001"},
                              headers=acting("A0002"))).json()
        assert others == {"items": [], "next_after": None}
        own = (await c.get("/area/v1/metering/files", headers=acting("A0002"))).json()["items"]
        assert own and {i["retailer_code"] for i in own} == {"A0002"}
        page = (await c.get("/area/v1/metering/files", params={"limit": 2}, headers=acting("T0300", "tso"))).json()
        rest = (await c.get("/area/v1/metering/files", params={"after": page["next_after"]},
                            headers=acting("T0300", "tso"))).json()
        assert len(page["items"]) == 2 and rest["items"][0]["position"] > page["items"][1]["position"]
        assert len({i["retailer_code"] for i in page["items"] + rest["items"]}) > 1
        bad = await c.get("/area/v1/metering/files", params={"type": "X1"}, headers=acting("A0001"))
        assert bad.status_code == 422
    events = execute(stack.area_url, "SELECT payload FROM outbox_events WHERE kind = 'metering.file_published'"
                                     " ORDER BY id")
    payloads = [json.loads(p[0]) if isinstance(p[0], str) else p[0] for p in events]
    assert {p["file_id"] for p in payloads} >= {fid}


def _codes(stack, spids: list[str]) -> dict[str, str]:
    return dict(execute(stack.area_url, "SELECT trim(spid), reading_day_code FROM supply_points WHERE area = '03'"
                                        " AND spid = ANY(%s)", (spids,)))


async def test_a_reading_days_monthly_file_holds_the_points_whose_period_closed_that_day(stack):
    """The file of reading day D holds the retailer's points whose reading-day code falls on D this
    month, each with its billing period: from the code's reading day last month to D − 1."""
    spids = supplied(stack, "A0001", date(2026, 10, 1))
    codes = _codes(stack, spids)
    code = max(sorted(set(codes.values())), key=list(codes.values()).count)  # the code of most of its points
    day, opens = reading_date("03", code, 2026, 11), reading_date("03", code, 2026, 10)
    closing = {c for c in valid_reading_codes("03") if reading_date("03", c, 2026, 11) == day}
    mine = [s for s in spids if codes[s] in closing and s in supplied(stack, "A0001", day - timedelta(days=1))]
    others = [s for s in spids if codes[s] not in closing]
    assert len(mine) >= 2 and others  # the retailer's other points close on other days
    with_data, without = quiet(stack, mine, opens, day - timedelta(days=1))[:2]
    await ingest(stack, _rows(with_data, {1: "0.5000", 2: "0.2500"}, opens + timedelta(days=2)))
    await ingest(stack, _rows(with_data, {1: "9.0000"}, day))  # the next period's first day: not in this file
    execute(stack.area_url, "INSERT INTO readings_monthly (area, spid, billing_month, kwh, next_reading_date)"
                            " VALUES ('03', %s, '2026-11-01', 321.5, %s) ON CONFLICT (area, spid,"
                            " billing_month) DO UPDATE SET kwh = EXCLUDED.kwh,"
                            " next_reading_date = EXCLUDED.next_reading_date",
            (with_data, reading_date("03", code, 2026, 12)))
    async with stack.area_app.state.engine.begin() as conn:
        await service.build_monthly(conn, "03", day, AFTER_DAY, "1", retailer="A0001")
    [f] = files(stack, retailer_code="A0001", type="W51220")
    assert f["name"] == f"W51220_{day:%Y%m%d}_001_r1.zip" and f["points"] == len(mine)
    data = execute(stack.area_url, "SELECT zip FROM metering_files WHERE id = %s", (f["id"],))[0][0]
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        assert xsd().validate(etree.fromstring(zf.read(zf.namelist()[0])))
    doc = reader.read_zip(bytes(data))[1]
    assert doc.header.target == day and [p.spid for p in doc.points] == sorted(mine)
    got = next(p for p in doc.points if p.spid == with_data)
    assert got.provided == "0" and len(got.days) == (day - opens).days and got.days[0].day == opens
    assert got.days[-1].day == day - timedelta(days=1)
    assert (got.total_kwh, got.confirmed_kwh, got.max_demand_kw) == (Decimal("0.7500"), Decimal("321.5000"),
                                                                     Decimal("1.0000"))
    assert got.next_reading_date == reading_date("03", code, 2026, 12) and got.voltage_name == "低圧"
    assert got.days[2].readings[:3] == (reader.Reading(0, Decimal("0.5000")), reader.Reading(0, Decimal("0.2500")),
                                        reader.Reading(None, None))
    none = next(p for p in doc.points if p.spid == without)
    assert (none.provided, none.days, none.total_kwh, none.max_demand_kw) == ("1", (), Decimal("0.0000"), None)
    async with area_client(stack) as c:  # listed with its reading day and billing month
        item = next(i for i in (await c.get("/area/v1/metering/files", params={"type": "W51220"},
                                            headers=acting("A0001"))).json()["items"])
    assert (item["target_date"], item["target_month"]) == (day.isoformat(), "2026-11")

    # a correction of a day in the period, once that day's past-day files exist, rebuilds this file
    fixed = opens + timedelta(days=2)
    async with stack.area_app.state.engine.begin() as conn:
        await enqueue(conn, metering_tasks.PAST_DAY_JOB, f"03:{fixed.isoformat()}", AFTER_DAY)
    await run_metering_jobs(stack, AFTER_DAY)
    with frozen(AFTER_DAY):
        await ingest(stack, _rows(with_data, {2: "0.7500"}, fixed))
    await run_metering_jobs(stack, AFTER_DAY + timedelta(minutes=1))
    monthly = files(stack, retailer_code="A0001", type="W51220")
    assert [(m["revision"], m["supersedes"]) for m in monthly] == [(1, None), (2, f["id"])]
    data = execute(stack.area_url, "SELECT zip FROM metering_files WHERE id = %s", (monthly[1]["id"],))[0][0]
    again = next(p for p in reader.read_zip(bytes(data))[1].points if p.spid == with_data)
    assert again.total_kwh == Decimal("1.2500") and again.days[2].readings[1] == reader.Reading(0, Decimal("0.7500"))


async def test_the_schedule_has_a_monthly_key_per_reading_day_within_4_business_days(stack):
    at = datetime(2026, 11, 30, 12, 0, tzinfo=JST)
    async with stack.area_app.state.engine.begin() as conn:
        await metering_tasks.schedule(conn, at, ["03"])
    keys = execute(stack.area_url, "SELECT key, run_at FROM jobs WHERE kind = 'metering.monthly' ORDER BY key")
    days = sorted({reading_date("03", c, y, m) for c in valid_reading_codes("03") for y, m in ((2026, 10), (2026, 11))})
    assert [k for k, _ in keys] == [f"03:{d.isoformat()}" for d in days]
    for key, run_at in keys:
        d = date.fromisoformat(key.split(":")[1])
        assert 1 <= business_days_between(d, run_at.astimezone(JST).date(), "03") <= 4


async def test_a_correction_of_a_today_slot_rebuilds_that_today_file(stack):
    """W41110 "today" files are rebuilt like past-day files: a slot ingested after its today file was
    built (a late value or a correction) gives that slot's file of the supplying retailer a new
    revision; the other slots' files and other retailers' files stay as they were."""
    spid = supplied(stack, "A0001", DAY)[0]
    await ingest(stack, _rows(spid, {20: "0.3000"}))
    at = datetime(2026, 11, 30, 10, 20, tzinfo=JST)  # today files of slots 17–20 are due
    async with stack.area_app.state.engine.begin() as conn:
        await metering_tasks.schedule(conn, at, ["03"])
    await run_metering_jobs(stack, at)
    first = {f["slot"]: f for f in files(stack, retailer_code="A0001", type="W41110")}
    assert sorted(first) == [17, 18, 19, 20] and all(f["revision"] == 1 for f in first.values())
    others = files(stack, type="W41110", retailer_code="M0300")

    with frozen(datetime(2026, 11, 30, 10, 30, tzinfo=JST)):  # ingested 10 minutes after the today file
        await ingest(stack, _rows(spid, {20: "0.3500", 30: "1.0000"}))  # slot 30's today file does not exist yet
    rebuilds = execute(stack.area_url, "SELECT key, payload FROM jobs WHERE kind = 'metering.rebuild'")
    assert [(k.split(":")[:2], p["retailers"], p["past_day"], p["today_slots"]) for k, p in rebuilds] == [
        (["03", "2026-11-30"], ["A0001"], False, [20])]
    later = datetime(2026, 11, 30, 10, 40, tzinfo=JST)
    await run_metering_jobs(stack, later)
    now = files(stack, retailer_code="A0001", type="W41110")
    slot20 = [f for f in now if f["slot"] == 20]
    assert [(f["revision"], f["supersedes"]) for f in slot20] == [(1, None), (2, first[20]["id"])]
    assert slot20[1]["name"] == "W41110_20261130_0930_001_r2.zip"
    assert sorted(f["slot"] for f in now if f["revision"] == 1) == [17, 18, 19, 20]  # the others unchanged
    assert files(stack, type="W41110", retailer_code="M0300") == others
    data = execute(stack.area_url, "SELECT zip FROM metering_files WHERE id = %s", (slot20[1]["id"],))[0][0]
    doc = reader.read_zip(bytes(data))[1]
    assert doc.header.revision == 2
    assert [p.readings[0].kwh for p in doc.points if p.spid == spid] == [Decimal("0.3500")]
