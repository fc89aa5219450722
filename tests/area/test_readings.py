"""Meter readings in the area system (issue 8, first part): ingestion of 30-minute energy from the
meter data source (CSV through the CLI, JSON rows through /area/v1 with the hub's certificate),
Decimal values kept exactly, corrections superseding earlier values and raising the day's revision,
and a bad file refused as a whole with a Japanese report per row."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest
from typer.testing import CliRunner

from tests.hub.helpers import area_template_url, point_of
from tests.support import execute, with_client_cert

T0300 = {"X-Switchhub-Operator": "T0300", "X-Switchhub-Operator-Kind": "tso", "X-Switchhub-Operator-Areas": "03"}
DAY = "2030-11-30"  # beyond the generated readings of the test world (up to yesterday)


def _area_client(stack, pem: str | None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=with_client_cert(stack.area_app, pem))
    return httpx.AsyncClient(transport=transport, base_url="https://area.test")


async def _ingest(stack, rows: list[dict], headers: dict = T0300, area: str = "03") -> httpx.Response:
    async with _area_client(stack, stack.world.hub_client.pem) as c:
        return await c.post("/area/v1/readings:ingest", json={"area": area, "rows": rows}, headers=headers)


def _day(stack, spid: str, day: str = DAY) -> tuple:
    rows = execute(stack.area_url, "SELECT revision, readings_kwh(kwh), status FROM readings_30min"
                                   " WHERE area = '03' AND spid = %s AND reading_date = %s", (spid, day))
    return rows[0] if rows else None


def _count(stack) -> int:
    return execute(stack.area_url, "SELECT count(*) FROM readings_30min WHERE reading_date >= '2030-01-01'")[0][0]


def _other_area_point(world) -> str:
    return execute(area_template_url(world), "SELECT spid FROM supply_points WHERE area = '06' ORDER BY spid"
                                             " LIMIT 1")[0][0]


async def test_rows_round_trip_exactly_and_a_correction_raises_the_revision(stack):
    spid = point_of(stack.world, "M0300")
    first = [{"spid": spid, "date": DAY, "slot": 1, "kwh": "0.1234", "status": "0"},
             {"spid": spid, "date": DAY, "slot": 2, "kwh": "999999.9999", "status": "0"},
             {"spid": spid, "date": "20301130", "slot": 48, "kwh": "12.5", "status": "1"}]
    r = await _ingest(stack, first)
    assert r.status_code == 200, r.text
    assert r.json() == {"area": "03", "rows": 3, "days": 1, "revised_days": 0}
    revision, kwh, status = _day(stack, spid)
    assert revision == 1 and len(kwh) == 48 and len(status) == 48
    assert (kwh[0], kwh[1], kwh[47]) == (Decimal("0.1234"), Decimal("999999.9999"), Decimal("12.5000"))
    assert str(kwh[0]) == "0.1234" and kwh[2:47] == [None] * 45
    assert (status[0], status[47]) == (0, 1)
    # a new slot fills the day without a revision; a changed slot supersedes and raises it
    r = await _ingest(stack, [{"spid": spid, "date": DAY, "slot": 3, "kwh": "0.5", "status": "0"}])
    assert r.json()["revised_days"] == 0 and _day(stack, spid)[0] == 1
    r = await _ingest(stack, [{"spid": spid, "date": DAY, "slot": 1, "kwh": "0.2000", "status": "0"}])
    assert r.json() == {"area": "03", "rows": 1, "days": 1, "revised_days": 1}
    revision, kwh, _ = _day(stack, spid)
    assert revision == 2 and kwh[:3] == [Decimal("0.2"), Decimal("999999.9999"), Decimal("0.5")]
    # the same value again is no correction
    r = await _ingest(stack, [{"spid": spid, "date": DAY, "slot": 1, "kwh": "0.2", "status": "0"}])
    assert r.json()["revised_days"] == 0 and _day(stack, spid)[0] == 2


async def test_a_month_without_a_partition_gets_one_on_ingest(stack):
    spid = point_of(stack.world, "M0300")
    r = await _ingest(stack, [{"spid": spid, "date": "2019-02-28", "slot": 10, "kwh": "1", "status": "0"}])
    assert r.status_code == 200, r.text
    assert execute(stack.area_url, "SELECT tableoid::regclass::text FROM readings_30min WHERE reading_date ="
                                   " '2019-02-28'") == [("readings_30min_201902_03",)]


async def test_a_bad_file_changes_nothing_and_reports_every_bad_row(stack):
    spid = point_of(stack.world, "M0300")
    good = {"spid": spid, "date": DAY, "slot": 5, "kwh": "1.0", "status": "0"}
    assert (await _ingest(stack, [good])).status_code == 200
    before = _day(stack, spid)
    unknown = "03" + "9" * 20
    rows = [{**good, "kwh": "7"},                                  # 1: fine alone (a correction)
            {**good, "spid": unknown},                             # 2: unknown point
            {**good, "spid": _other_area_point(stack.world)},      # 3: point of area 06
            {**good, "slot": 49},                                  # 4: slot out of range
            {**good, "slot": 6, "kwh": "-0.1"},                    # 5: negative
            {**good, "slot": 7, "kwh": "0.12345"},                 # 6: 5 decimals
            {**good, "date": "2026-02-30"},                        # 7: no such date
            {**good, "kwh": "8"}]                                  # 8: same point/date/slot as row 1
    r = await _ingest(stack, rows)
    assert r.status_code == 422 and r.json()["code"] == "readings_rejected"
    assert r.json()["report"] == [
        {"row": 2, "field": "spid", "message": "供給地点特定番号が登録されていません"},
        {"row": 3, "field": "spid", "message": "エリア03の供給地点ではありません（エリア06）"},
        {"row": 4, "field": "slot", "message": "コマ番号は1〜48で指定してください（入力値: 49）"},
        {"row": 5, "field": "kwh", "message": "電力量に負の値は指定できません"},
        {"row": 6, "field": "kwh", "message": "電力量は小数点以下4桁までです"},
        {"row": 7, "field": "date", "message": "日付が正しくありません（入力値: 2026-02-30）"},
        {"row": 8, "field": "slot", "message": "1行目と同じ地点・日付・コマです"},
    ]
    assert r.json()["errors"][0]["field"] == "rows[2].spid"
    assert _day(stack, spid) == before and _count(stack) == 1


async def test_only_the_hub_reaches_the_route_and_only_the_areas_tso_ingests(stack):
    spid = point_of(stack.world, "M0300")
    body = {"area": "03", "rows": [{"spid": spid, "date": DAY, "slot": 1, "kwh": "1", "status": "0"}]}
    for pem in (stack.world.clients["M0300-api"].pem, None):
        async with _area_client(stack, pem) as c:
            r = await c.post("/area/v1/readings:ingest", json=body, headers=T0300)
        assert r.status_code == 403 and r.json()["code"] == "hub_certificate_required"
    retailer = {"X-Switchhub-Operator": "M0300", "X-Switchhub-Operator-Kind": "retailer",
                "X-Switchhub-Operator-Areas": "03"}
    other_tso = {**T0300, "X-Switchhub-Operator": "T0600", "X-Switchhub-Operator-Areas": "06"}
    for headers in (retailer, other_tso):
        assert (await _ingest(stack, body["rows"], headers)).status_code == 403
    assert _count(stack) == 0


async def test_the_cli_ingests_a_cp932_file_into_the_area_database(stack, tmp_path, monkeypatch):
    from switchhub import cli

    spid = point_of(stack.world, "M0300")
    monkeypatch.setenv("SWITCHHUB_AREA_DATABASE_URL", stack.area_url)
    monkeypatch.setenv("SWITCHHUB_HUB_DATABASE_URL", stack.hub_url)
    monkeypatch.setenv("SWITCHHUB_DATA_DIR", str(tmp_path))
    lines = ["供給地点特定番号,日付,コマ,電力量,状態"] + [f"{spid},{DAY},{s},{s}.0{s % 10},0" for s in range(1, 49)]
    csv_file = tmp_path / "readings.csv"
    csv_file.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))
    result = await asyncio.to_thread(CliRunner().invoke, cli.app, ["readings", "ingest", str(csv_file), "--area", "03"])
    assert result.exit_code == 0, result.output
    assert "48行" in result.output
    revision, kwh, status = _day(stack, spid)
    assert revision == 1 and kwh[0] == Decimal("1.01") and kwh[47] == Decimal("48.08") and set(status) == {0}
    # a bad file: exit 1, the report per line (the header is line 1), nothing changed
    bad = tmp_path / "bad.csv"
    bad.write_bytes(f"spid,date,slot,kwh,status\n{spid},{DAY},1,abc,0\n{spid},{DAY},2,1,0\n".encode("cp932"))
    result = await asyncio.to_thread(CliRunner().invoke, cli.app, ["readings", "ingest", str(bad), "--area", "03"])
    assert result.exit_code == 1
    assert "2行目 kwh: 電力量が数値ではありません（入力値: abc）" in result.output
    assert _day(stack, spid)[1][1] == Decimal("2.02")
    empty = tmp_path / "empty.csv"
    empty.write_bytes("供給地点特定番号,日付,コマ,電力量,状態\n".encode())
    result = await asyncio.to_thread(CliRunner().invoke, cli.app, ["readings", "ingest", str(empty), "--area", "03"])
    assert result.exit_code == 1 and "1行目 file: 取り込む行がありません" in result.output



def test_the_migration_goes_down_and_up_again(tmp_path):
    import uuid

    from switchhub.db.migrate import downgrade, upgrade
    from tests.support import admin_url, create_database, drop_database

    admin, name = admin_url(), f"readings_mig_{uuid.uuid4().hex[:8]}"
    url = create_database(admin, name)
    try:
        upgrade("area", url)
        tables = "SELECT count(*) FROM pg_class WHERE relname LIKE 'readings%%' AND relkind IN ('r', 'p')"
        # 13 months back, this one, 2 ahead, each with a leaf per area; readings_monthly with 10 areas
        assert execute(url, tables)[0][0] == 1 + 16 + 16 * 10 + 1 + 10
        leaves = "SELECT count(*) FROM pg_class WHERE relname ~ '^readings_30min_[0-9]{6}_(0[1-9]|10)$' AND relkind = 'r'"
        assert execute(url, leaves) == [(160,)]
        assert execute(url, "SELECT readings_month_partition(current_date)")[0][0].startswith("readings_30min_")
        assert execute(url, tables)[0][0] == 188  # idempotent
        downgrade("area", url, "0005")
        assert execute(url, tables)[0][0] == 1 + 16 + 1 + 10  # month partitions only
        downgrade("area", url, "0004")
        assert execute(url, tables) == [(0,)]
        assert execute(url, "SELECT count(*) FROM pg_proc WHERE proname = 'readings_month_partition'") == [(0,)]
        upgrade("area", url)
        assert execute(url, tables)[0][0] == 188
    finally:
        drop_database(admin, name)


async def test_a_day_is_stored_as_its_48_fields_in_numeric_10_4_print(stack):
    # area 0013: one text of 48 comma-separated fields, each with exactly four decimals, empty when
    # not received — the form the usage inquiry sends (written here from the spec, not from the code)
    spid = point_of(stack.world, "M0300")
    r = await _ingest(stack, [{"spid": spid, "date": DAY, "slot": 1, "kwh": "0.5", "status": "0"},
                              {"spid": spid, "date": DAY, "slot": 3, "kwh": "12", "status": "0"},
                              {"spid": spid, "date": DAY, "slot": 48, "kwh": "999999.9999", "status": "0"}])
    assert r.status_code == 200, r.text
    stored = execute(stack.area_url, "SELECT kwh FROM readings_30min WHERE area = '03' AND spid = %s"
                                     " AND reading_date = %s", (spid, DAY))[0][0]
    assert stored == "0.5000,,12.0000" + "," * 45 + "999999.9999"
    # a correction of slot 1 keeps the other fields as they were
    await _ingest(stack, [{"spid": spid, "date": DAY, "slot": 1, "kwh": "0.25", "status": "1"}])
    assert execute(stack.area_url, "SELECT kwh FROM readings_30min WHERE area = '03' AND spid = %s"
                                   " AND reading_date = %s", (spid, DAY))[0][0] == "0.2500,,12.0000" + "," * 45 + "999999.9999"


@pytest.mark.parametrize("kwh", ["1.0000," * 46 + "1.0000",          # 47 fields
                                 "1.0000," * 48 + "1.0000",          # 49 fields
                                 "1.0000," * 47 + "-1.0000",         # a sign
                                 "1.0000," * 47 + "1e3"],            # an exponent
                         ids=["47 fields", "49 fields", "sign", "exponent"])
def test_the_table_refuses_a_day_of_another_shape(stack, kwh):
    import psycopg

    spid = point_of(stack.world, "M0300")
    execute(stack.area_url, "SELECT readings_month_partition('2030-11-29')")
    with pytest.raises(psycopg.errors.CheckViolation, match="readings_30min_kwh_check"):
        execute(stack.area_url, "INSERT INTO readings_30min (area, spid, reading_date, kwh, status)"
                " VALUES ('03', %s, '2030-11-29', %s, array_fill(0::smallint, ARRAY[48]))", (spid, kwh))
    good = "1.0000," * 47 + "1.0000"  # the same statement with a day of the right shape is stored
    execute(stack.area_url, "INSERT INTO readings_30min (area, spid, reading_date, kwh, status)"
            " VALUES ('03', %s, '2030-11-29', %s, array_fill(0::smallint, ARRAY[48]))", (spid, good))


def test_the_text_migration_keeps_every_value_both_ways():
    import uuid

    from switchhub.db.migrate import downgrade, upgrade
    from tests.support import admin_url, create_database, drop_database

    admin, name = admin_url(), f"readings_text_{uuid.uuid4().hex[:8]}"
    url = create_database(admin, name)
    array = "{0.1230,NULL,999999.9999" + ",0.0000" * 45 + "}"
    try:
        upgrade("area", url, "0012")
        execute(url, "INSERT INTO readings_30min (area, spid, reading_date, kwh, status) VALUES"
                     " ('03', '0300000000000000000001', current_date, %s, array_fill(0::smallint, ARRAY[48]))", (array,))
        upgrade("area", url)
        assert execute(url, "SELECT kwh FROM readings_30min") == [("0.1230,,999999.9999" + ",0.0000" * 45,)]
        assert execute(url, "SELECT (readings_kwh(kwh))[1:3]::text FROM readings_30min") == [("{0.1230,NULL,999999.9999}",)]
        downgrade("area", url, "0012")
        assert execute(url, "SELECT kwh::text FROM readings_30min") == [(array,)]
    finally:
        drop_database(admin, name)
