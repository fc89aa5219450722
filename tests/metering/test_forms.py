"""The standard CSV forms of a billing month (C01 契約電力算定結果内訳, C02 制限中止割引 (its events: test_curtailment.py),
C03 発電者の仕訳後の電力量): built by the `metering.forms` job within 5 business days of the reading
day, UTF-8 with BOM and CRLF, exact decimals, one CSV per ZIP, JSON with the same rows."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from datetime import date

from switchhub.area.metering import forms
from switchhub.area.metering import tasks as metering_tasks
from switchhub.kernel.calendar import business_days_between
from switchhub.kernel.clock import JST
from tests.metering.helpers import files, ingest, quiet, run_metering_jobs
from tests.support import execute

MONTH = date(2026, 11, 1)


def _points(stack, where: str) -> list[str]:
    return [r[0] for r in execute(stack.area_url, "SELECT trim(s.spid) FROM supply_periods s JOIN supply_points p"
                                                  " ON p.area = s.area AND p.spid = s.spid WHERE s.area = '03'"
                                                  " AND s.retailer_code = 'M0300' AND s.valid_to IS NULL"
                                                  f" AND {where} ORDER BY 1")]


def _zip_csv(stack, file_id: int) -> tuple[list[str], bytes]:
    data = bytes(execute(stack.area_url, "SELECT zip FROM metering_files WHERE id = %s", (file_id,))[0][0])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.namelist(), zf.read(zf.namelist()[0])


async def test_the_three_forms_of_a_month(stack):
    measured = _points(stack, "p.capacity_method = '3'")
    fit = _points(stack, "p.channel = 'low_fit'")
    m0, f0 = (quiet(stack, spids, MONTH, date(2026, 11, 30))[0] for spids in (measured, fit))
    await ingest(stack, [{"spid": m0, "date": "2026-11-10", "slot": 30, "kwh": "60.1234", "status": "0"},
                         {"spid": f0, "date": "2026-11-05", "slot": 1, "kwh": "0.2500", "status": "0"},
                         {"spid": f0, "date": "2026-11-05", "slot": 2, "kwh": "0.0001", "status": "0"}])
    execute(stack.area_url, "INSERT INTO readings_monthly (area, spid, billing_month, kwh, max_demand_kw)"
                            " VALUES ('03', %s, '2026-06-01', 100, 150.5) ON CONFLICT (area, spid, billing_month)"
                            " DO UPDATE SET kwh = EXCLUDED.kwh, max_demand_kw = EXCLUDED.max_demand_kw", (m0,))
    run_at = metering_tasks.forms_run_at(MONTH, "03")
    assert 0 < business_days_between(date(2026, 12, 1), run_at.date(), "03") <= 5
    async with stack.area_app.state.engine.begin() as conn:
        await metering_tasks.schedule(conn, run_at.astimezone(JST), ["03"])
    await run_metering_jobs(stack, run_at)
    made = {f["type"]: f for f in files(stack, retailer_code="M0300", target=MONTH) if f["type"].startswith("C")}
    assert sorted(made) == ["C01", "C02", "C03"]
    assert made["C01"]["name"] == "C01_202611_001_r1.zip"

    names, c01 = _zip_csv(stack, made["C01"]["id"])
    assert names == ["C01_202611_001_r1.csv"]
    assert c01.startswith("\ufeff".encode()) and b"\r\n" in c01
    columns, rows = forms.read_csv(c01)
    assert columns[0] == "供給地点特定番号" and [r[0] for r in rows] == measured
    row = next(r for r in rows if r[0] == m0)
    assert row[1:] == ["202611", "20261101", "20261130", "120.2468", "150.5000", "150.5000", forms.METHOD]

    # C02: the generated demo events (generate/readings.py) of M0300's points in the month, as the form
    # writes them (none crosses a day or a switch here; clipping: test_curtailment.py)
    events = execute(stack.area_url, "SELECT trim(e.spid), e.kind, e.starts_at, e.ends_at, e.reason, e.discount_rate"
                                     " FROM curtailment_events e JOIN supply_periods s ON s.area = e.area"
                                     " AND s.spid = e.spid AND s.retailer_code = 'M0300'"
                                     " AND s.valid_from <= '2026-11-30' AND (s.valid_to IS NULL OR s.valid_to >= '2026-11-01')"
                                     " WHERE e.area = '03' AND e.starts_at >= '2026-11-01T00:00+09:00'"
                                     " AND e.ends_at <= '2026-12-01T00:00+09:00' ORDER BY 1, 3")
    columns, rows = forms.read_csv(_zip_csv(stack, made["C02"]["id"])[1])
    assert columns == ["供給地点特定番号", "対象年月", "区分", "開始日時", "終了日時", "割引対象時間(h)", "割引率(%)", "事由"]
    assert rows == [[spid, "202611", kind, f"{t0.astimezone(JST):%Y%m%d %H:%M}", f"{t1.astimezone(JST):%Y%m%d %H:%M}",
                     f"{(t1 - t0).total_seconds() / 3600:.2f}", f"{rate:.2f}", reason]
                    for spid, kind, t0, t1, reason, rate in events]

    columns, rows = forms.read_csv(_zip_csv(stack, made["C03"]["id"])[1])
    assert ["20261105", "0.2501"] == next(r[2:] for r in rows if r[0] == f0)
    assert {r[0] for r in rows} == {f0}  # only days that have readings
    js = json.loads(gzip.decompress(bytes(execute(stack.area_url, "SELECT json FROM metering_files WHERE id = %s",
                                                  (made["C03"]["id"],))[0][0])))
    assert js["rows"] == rows and js["header"]["target_month"] == "2026-11"
