"""Metering files (issue 8): one day of 30-minute data for N points packaged into every retailer's
past-day files (ZIP of one XML + gzip'd JSON, stored in metering_files), and the monthly files of
the largest retailer for one reading day (every bench point has reading-day code 01, so that day
closes all their billing periods: a month of 30-minute data per point); each next to a reference
measured in the same run: a raw `COPY (SELECT …) TO STDOUT` of the same rows (what reading the data
costs without packaging it).

    python bench/metering_files.py --points 1000000 --month-points 10000

The data is synthetic and written with SQL (supply points, supply periods — 85 % with the
incumbent, the rest over 15 newcomers —, customers and one day of readings with random
4-decimal kWh), in a database of its own that is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date, datetime

import psycopg
from common import admin_url  # noqa: F401  (sets sys.path)

from switchhub.area.metering import repository as repo
from switchhub.area.metering import service
from switchhub.area.metering.fastwriter import RawPoint
from switchhub.area.metering.model import Header
from switchhub.area.metering.package import package_fast, package_xml
from switchhub.area.metering.xmlwriter import PointRow
from switchhub.contract.metering import FileType
from switchhub.db.engine import make_engine
from switchhub.db.migrate import upgrade
from switchhub.db.urls import with_database
from switchhub.kernel.calendar import reading_date
from switchhub.kernel.clock import JST

DAY = date(2026, 11, 30)
#: the monthly run: area 04's reading day of code 01 in December closes the period from November's
READING_DAY = reading_date("04", "01", 2026, 12)
_, PERIOD_FROM, PERIOD_TO = service.billing_periods_closing("04", READING_DAY)[0]
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=JST)
POINTS = """
INSERT INTO supply_points (spid, area, channel, prefecture, city, town, contract_form, capacity_method,
                           supply_method, disconnection_method, reading_day_code, contract_status, meters)
SELECT '{area}' || lpad(i::text, 20, '0'), '{area}', CASE WHEN i % 100 = 0 THEN 'high' ELSE 'low' END, '東京都',
       '千代田区', '丸の内' || (i % 3 + 1) || '丁目', '01', '1', '2', '1', '01', '1',
       '[{{"meter_no": "X", "meter_type": "1", "smart": true}}]'::jsonb
FROM generate_series(1, {n}) i;
INSERT INTO supply_periods (area, spid, retailer_code, valid_from)
SELECT '{area}', '{area}' || lpad(i::text, 20, '0'),
       CASE WHEN {single} OR i % 100 < 85 THEN 'M{area}00' ELSE 'A' || lpad((i % 100 - 84)::text, 4, '0') END,
       '2020-01-01'
FROM generate_series(1, {n}) i;
INSERT INTO customer_periods (area, spid, name_kana, name_kanji, valid_from)
SELECT '{area}', '{area}' || lpad(i::text, 20, '0'), 'ヤマダ タロウ', '山田 太郎' || (i % 1000), '2020-01-01'
FROM generate_series(1, {n}) i;
"""
READINGS = """
INSERT INTO readings_30min (area, spid, reading_date, kwh, status)
SELECT '{area}', '{area}' || lpad(i::text, 20, '0'), d::date,
       array_to_string(array(SELECT round((random() * 1.5)::numeric, 4) FROM generate_series(1, 48) g
                             WHERE i > 0)::numeric(10,4)[], ',', ''),
       array_fill(0::smallint, ARRAY[48])
FROM generate_series(1, {n}) i, generate_series(CAST(:d0 AS date), CAST(:d1 AS date), interval '1 day') d;
"""
REFERENCE = """COPY (SELECT s.retailer_code, s.spid, c.name_kanji, r.kwh, r.status FROM supply_periods s
JOIN customer_periods c ON c.area = s.area AND c.spid = s.spid
JOIN readings_30min r ON r.area = s.area AND r.spid = s.spid AND r.reading_date BETWEEN '{d0}' AND '{d1}'
WHERE s.area = '{area}' {only} ORDER BY s.retailer_code, s.spid, r.reading_date) TO STDOUT"""


def _fill(url: str, area: str, n: int, d0: date, d1: date, single: bool) -> float:
    t0 = time.monotonic()
    with psycopg.connect(url, autocommit=True) as c:
        c.execute(POINTS.format(area=area, n=n, single="true" if single else "false"))
        c.execute("SELECT readings_month_partition(%s)", (d0,))
        c.execute(READINGS.format(area=area, n=n).replace(":d0", "%s").replace(":d1", "%s"), (d0, d1))
        c.execute("VACUUM ANALYZE")
    return time.monotonic() - t0


def _reference(url: str, area: str, d0: date, d1: date, only: str = "") -> tuple[float, int]:
    t0, size = time.monotonic(), 0
    with psycopg.connect(url) as c, c.cursor() as cur:
        with cur.copy(REFERENCE.format(area=area, d0=d0, d1=d1, only=only)) as copy:
            for block in copy:
                size += len(block)
    return time.monotonic() - t0, size


async def _build(url: str, kind: str, area: str) -> tuple[float, list[dict]]:
    engine = make_engine(url, pool_size=1)
    now = datetime(2026, 12, 1, 4, 0, tzinfo=JST) if kind == "day" else datetime(2026, 12, 2, 6, 0, tzinfo=JST)
    t0 = time.monotonic()
    async with engine.begin() as conn:
        if kind == "day":
            stored = await service.build_day(conn, area, DAY, now, "1")
        else:
            stored = await service.build_monthly(conn, area, READING_DAY, now, "1")
    elapsed = time.monotonic() - t0
    await engine.dispose()
    return elapsed, stored


def _lists(text: str | None) -> list[str | None]:
    """A status array's text ({v,NULL,…}) as 48 values."""
    return [None] * 48 if text is None else [None if v == "NULL" else v for v in text[1:-1].split(",")]


def _kwh_lists(stored: str | None) -> list[str | None]:
    """A day's kWh text as stored (v,,…: area 0013) as 48 values."""
    return [None] * 48 if stored is None else [v or None for v in stored.split(",")]


async def _writers(url: str, kind: str, area: str, n: int) -> str:
    """The same `n` points packaged by the fast writer and by the reference writer (per-slot Python)."""
    engine = make_engine(url, pool_size=1)
    async with engine.connect() as conn:
        if kind == "day":
            header = Header(FileType.LOW_PAST_DAY, "1", "T0300", "東京電力パワーグリッド", "M0300", NOW, DAY)
            raw = []
            async for r in repo.day_points(conn, area, DAY, retailer="M0300"):
                if not r[1]:
                    raw.append(RawPoint(r[2], r[4], r[5], r[3], r[6], r[7]))
                if len(raw) == n:
                    break
            ref = [PointRow(p.spid, p.customer_code, p.customer_name, p.management_no, _kwh_lists(p.kwh),
                            _lists(p.status)) for p in raw]
        else:
            header = Header(FileType.LOW_MONTHLY, "1", "T0400", "中部電力パワーグリッド", "M0400", NOW, READING_DAY)
            raw = []
            async for _, high, row in service._monthly_rows(conn, area, READING_DAY, None):
                if not high:
                    raw.append(row)
                if len(raw) == n:
                    break
            ref = [p._replace(days=[(d, _kwh_lists(k), _lists(st)) for d, k, st in p.days]) for p in raw]
    await engine.dispose()
    out = []
    for name, package, rows in (("fast writer", package_fast, raw), ("reference writer", package_xml, ref)):
        t0, c0 = time.monotonic(), time.process_time()
        package(header, rows)
        out.append(f"{name} {time.monotonic() - t0:.2f} s ({time.process_time() - c0:.2f} s CPU)")
    return f"packaging only, the same {len(raw):,} points: " + ", ".join(out)


def _sizes(url: str, types: tuple[str, ...]) -> tuple[int, int, int]:
    with psycopg.connect(url) as c:
        row = c.execute("SELECT count(*), sum(octet_length(zip)), sum(octet_length(json)) FROM metering_files"
                        " WHERE type = ANY(%s)", (list(types),)).fetchone()
    return int(row[0]), int(row[1] or 0), int(row[2] or 0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000, help="points of the past-day run (area 03)")
    ap.add_argument("--database", default="bench_metering", help="name of the (dropped) database")
    ap.add_argument("--month-points", type=int, default=10_000,
                    help="points of the largest retailer for the monthly run (area 04, one billing period)")
    args = ap.parse_args()
    admin = admin_url()
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {args.database}")
        c.execute(f"CREATE DATABASE {args.database}")
    url = with_database(admin, args.database)
    upgrade("area", url)
    try:
        filled = _fill(url, "03", args.points, DAY, DAY, single=False)
        print(f"(data: {args.points:,} points, one day of readings, written in {filled:.1f} s)")
        ref_s, ref_bytes = _reference(url, "03", DAY, DAY)
        elapsed, stored = asyncio.run(_build(url, "day", "03"))
        n, zips, jsons = _sizes(url, ("W40120", "W41120"))
        retailers = len({s["retailer_code"] for s in stored})
        print(f"past-day files, {args.points:,} points × 48 slots: {elapsed:.1f} s"
              f" ({args.points / elapsed:,.0f} points/s); {n} files for {retailers} retailers,"
              f" ZIP {zips / 2**20:,.1f} MiB, JSON.gz {jsons / 2**20:,.1f} MiB")
        print(f"reference, COPY of the same rows to the client: {ref_s:.1f} s ({ref_bytes / 2**20:,.1f} MiB)"
              f" → packaging costs {elapsed / ref_s:.1f}× reading the data")
        print(asyncio.run(_writers(url, "day", "03", 10_000)))

        days = (PERIOD_TO - PERIOD_FROM).days + 1
        filled = _fill(url, "04", args.month_points, PERIOD_FROM, PERIOD_TO, single=True)
        print(f"(data: {args.month_points:,} points of one retailer, {days} days of readings"
              f" ({PERIOD_FROM} … {PERIOD_TO}, reading day {READING_DAY}), written in {filled:.1f} s)")
        ref_s, ref_bytes = _reference(url, "04", PERIOD_FROM, PERIOD_TO)
        elapsed, stored = asyncio.run(_build(url, "month", "04"))
        n, zips, jsons = _sizes(url, ("W51210", "W51220"))
        print(f"monthly files, largest retailer {args.month_points:,} points × {days} days × 48 slots: {elapsed:.1f} s"
              f" ({args.month_points / elapsed:,.0f} points/s); {n} files, ZIP {zips / 2**20:,.1f} MiB,"
              f" JSON.gz {jsons / 2**20:,.1f} MiB")
        print(f"reference, COPY of the same rows to the client: {ref_s:.1f} s ({ref_bytes / 2**20:,.1f} MiB)"
              f" → packaging costs {elapsed / ref_s:.1f}× reading the data")
        print(asyncio.run(_writers(url, "month", "04", 1_000)))
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")


if __name__ == "__main__":
    main()
