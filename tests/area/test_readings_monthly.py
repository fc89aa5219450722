"""Monthly confirmed totals (issue 8): computed from the 30-minute readings between the point's
reading days (billing month M = its reading day in M-1 up to the day before its reading day in M,
maximum demand = the largest half hour × 2), or ingested for points without 30-minute data
(CSV through the CLI, rows through /area/v1) with the all-or-nothing report and a revision per
changed month."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import httpx
from typer.testing import CliRunner

from switchhub.kernel.calendar import reading_date
from tests.hub.helpers import area_template_url
from tests.support import execute, with_client_cert

T0300 = {"X-Switchhub-Operator": "T0300", "X-Switchhub-Operator-Kind": "tso", "X-Switchhub-Operator-Areas": "03"}


def _point(world) -> tuple[str, str]:
    """An area-03 point without generated readings (spid, reading-day code)."""
    return execute(area_template_url(world), """SELECT spid, reading_day_code FROM supply_points p WHERE area = '03' AND channel = 'low'
        AND NOT EXISTS (SELECT 1 FROM readings_30min r WHERE r.area = p.area AND r.spid = p.spid)
        ORDER BY spid LIMIT 1""")[0]


def _monthly(stack, spid: str, month: str) -> tuple | None:
    rows = execute(stack.area_url, "SELECT revision, kwh, max_demand_kw, power_factor, next_reading_date"
                                   " FROM readings_monthly WHERE area = '03' AND spid = %s AND billing_month = %s",
                   (spid, month))
    return rows[0] if rows else None


async def _post(stack, path: str, body: dict) -> httpx.Response:
    transport = httpx.ASGITransport(app=with_client_cert(stack.area_app, stack.world.hub_client.pem))
    async with httpx.AsyncClient(transport=transport, base_url="https://area.test") as c:
        return await c.post(path, json=body, headers=T0300)


async def _confirm(stack, month: date, spids: list[str] | None = None):
    from switchhub.area.readings.service import confirm_month
    from switchhub.db.engine import make_engine

    engine = make_engine(stack.area_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            return await confirm_month(conn, "03", month, spids)
    finally:
        await engine.dispose()


async def test_a_month_is_confirmed_from_the_half_hours_between_the_reading_days(stack):
    spid, code = _point(stack.world)
    start, end, after = (reading_date("03", code, 2030, m) for m in (6, 7, 8))
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    # 0.1 kWh every half hour, 0.9 kWh at 19:00–19:30 of the period's last day
    rows = [{"spid": spid, "date": d.isoformat(), "slot": s, "kwh": "0.9" if (d, s) == (days[-1], 39) else "0.1",
             "status": "0"} for d in days for s in range(1, 49)]
    rows.append({"spid": spid, "date": end.isoformat(), "slot": 1, "kwh": "50", "status": "0"})  # next period
    missing = rows.pop(100)  # one half hour not received yet: the month is not confirmable
    assert (await _post(stack, "/area/v1/readings:ingest", {"area": "03", "rows": rows})).status_code == 200
    await _confirm(stack, date(2030, 7, 1))
    assert _monthly(stack, spid, "2030-07-01") is None
    assert (await _post(stack, "/area/v1/readings:ingest", {"area": "03", "rows": [missing]})).status_code == 200
    assert (await _confirm(stack, date(2030, 7, 1), ["03" + "0" * 20])).points == 0  # only the points asked for
    done = await _confirm(stack, date(2030, 7, 1), [spid])
    assert done.points == 1 and done.revised == 0
    kwh = Decimal("0.1") * (48 * len(days) - 1) + Decimal("0.9")
    assert _monthly(stack, spid, "2030-07-01") == (1, kwh, Decimal("1.8"), None, after)
    # a corrected half hour changes the month: a new revision; confirming again changes nothing
    fix = {"spid": spid, "date": days[0].isoformat(), "slot": 1, "kwh": "0.3", "status": "0"}
    assert (await _post(stack, "/area/v1/readings:ingest", {"area": "03", "rows": [fix]})).status_code == 200
    assert (await _confirm(stack, date(2030, 7, 1))).revised == 1
    assert _monthly(stack, spid, "2030-07-01")[:2] == (2, kwh + Decimal("0.2"))
    assert (await _confirm(stack, date(2030, 7, 1))).points == 0
    assert _monthly(stack, spid, "2030-07-01")[0] == 2


async def test_monthly_rows_through_the_api_with_revision_and_report(stack):
    spid, _ = _point(stack.world)
    good = {"spid": spid, "billing_month": "2030-05", "kwh": "312.5", "max_demand_kw": "", "power_factor": "",
            "next_reading_date": "2030-06-04"}
    r = await _post(stack, "/area/v1/readings:ingest-monthly", {"area": "03", "rows": [good]})
    assert r.status_code == 200, r.text
    assert r.json() == {"area": "03", "rows": 1, "written": 1, "revised": 0}
    assert _monthly(stack, spid, "2030-05-01") == (1, Decimal("312.5"), None, None, date(2030, 6, 4))
    same = await _post(stack, "/area/v1/readings:ingest-monthly", {"area": "03", "rows": [good]})
    assert same.json() == {"area": "03", "rows": 1, "written": 0, "revised": 0}
    changed = await _post(stack, "/area/v1/readings:ingest-monthly",
                          {"area": "03", "rows": [{**good, "kwh": "320", "power_factor": "95"}]})
    assert changed.json() == {"area": "03", "rows": 1, "written": 1, "revised": 1}
    assert _monthly(stack, spid, "2030-05-01")[:4] == (2, Decimal("320"), None, 95)
    base = {**good, "next_reading_date": ""}
    bad = [{**base, "billing_month": "2030-06"},                       # 1: fine alone
           {**base, "billing_month": "2030-13"},                       # 2: no such month
           {**base, "billing_month": "2030-07", "kwh": "-1"},          # 3: negative
           {**base, "billing_month": "2030-08", "power_factor": "101"},  # 4: out of range
           {**base, "billing_month": "2030-06"},                       # 5: same point and month as row 1
           {**base, "spid": "03" + "9" * 20},                          # 6: unknown point
           {**good, "billing_month": "2030-09"}]                       # 7: next reading before the month
    r = await _post(stack, "/area/v1/readings:ingest-monthly", {"area": "03", "rows": bad})
    assert r.status_code == 422 and r.json()["code"] == "readings_rejected"
    assert [(x["row"], x["field"]) for x in r.json()["report"]] == [
        (2, "billing_month"), (3, "kwh"), (4, "power_factor"), (5, "billing_month"), (6, "spid"),
        (7, "next_reading_date")]
    assert r.json()["report"][3]["message"] == "1行目と同じ地点・検針月です"
    assert _monthly(stack, spid, "2030-06-01") is None and _monthly(stack, spid, "2030-05-01")[0] == 2


async def test_the_cli_ingests_a_cp932_monthly_file(stack, tmp_path, monkeypatch):
    from switchhub import cli

    spid, _ = _point(stack.world)
    monkeypatch.setenv("SWITCHHUB_AREA_DATABASE_URL", stack.area_url)
    monkeypatch.setenv("SWITCHHUB_HUB_DATABASE_URL", stack.hub_url)
    monkeypatch.setenv("SWITCHHUB_DATA_DIR", str(tmp_path))
    path = tmp_path / "monthly.csv"
    path.write_bytes(("供給地点特定番号,検針月,使用電力量,最大需要電力,力率,次回検針予定日\r\n"
                      f"{spid},203009,250.1234,3.5,98,2030-10-03\r\n{spid},2030-10,,,,\r\n").encode("cp932"))
    result = await asyncio.to_thread(CliRunner().invoke, cli.app, ["readings", "ingest-monthly", str(path), "--area", "03"])
    assert result.exit_code == 1
    assert "3行目 kwh: 使用電力量は0以上" in result.output and _monthly(stack, spid, "2030-09-01") is None
    path.write_bytes(("供給地点特定番号,検針月,使用電力量,最大需要電力,力率,次回検針予定日\r\n"
                      f"{spid},203009,250.1234,3.5,98,2030-10-03\r\n").encode("cp932"))
    result = await asyncio.to_thread(CliRunner().invoke, cli.app, ["readings", "ingest-monthly", str(path), "--area", "03"])
    assert result.exit_code == 0, result.output
    assert _monthly(stack, spid, "2030-09-01") == (1, Decimal("250.1234"), Decimal("3.5"), 98, date(2030, 10, 3))
