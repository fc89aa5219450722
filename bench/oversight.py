"""Statistics refresh and the daily anomaly analysis on a large audit table (issue 9 F).

Builds (once) a hub database with N audit records over 35 days (default 5,000,000: lookups, usage
inquiries and other reads of 2,000 users of 50 retailers and 10 T&Ds, one to four certificates each)
and 500,000 indexed applications, then times, next to a plain COUNT(*) of the same rows:
* the statistics refresh of one month (all its figures by SQL into the statistics table);
* the anomaly analysis of one day (the 7-day window and the 14-day follow-up window).

    python bench/oversight.py --rows 5000000
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date, datetime

import psycopg

from common import admin_url, database_exists  # (sets sys.path)
from switchhub.db.engine import make_engine
from switchhub.db.migrate import upgrade
from switchhub.db.urls import plain_url, with_database
from switchhub.hub.anomaly import service as anomaly
from switchhub.hub.statistics import service as statistics
from switchhub.kernel.clock import JST

START = "2026-10-27 00:00:00+09"  # 35 days: 10-27 … 11-30
OPERATORS = """
INSERT INTO operators (code, name, kind, areas)
SELECT 'A' || lpad(g::text, 4, '0'), 'bench retailer ' || g, 'retailer', '{03}' FROM generate_series(1, 50) g
UNION ALL SELECT 'T' || lpad(g::text, 2, '0') || '00', 'bench tso ' || g, 'tso', ARRAY[lpad(g::text, 2, '0')]
  FROM generate_series(1, 10) g
UNION ALL SELECT 'OC000', 'OCCTO', 'occto', '{}'
ON CONFLICT DO NOTHING"""
AUDIT = """
INSERT INTO audit_records (at, operator_code, user_login, cert_fingerprint, action, resource_type, resource_ids,
                           item_count, outcome, purpose)
SELECT timestamptz '{start}' + (i::float8 / {rows}) * interval '35 days',
       op, lower(op) || '-u' || (i % 40), rpad(md5(op || ((i / 1000) % 3)), 64, '0'),
       CASE WHEN i % 10 < 7 THEN 'web.supply_point.lookup' WHEN i % 10 < 9 THEN 'api.usage.query'
            ELSE 'web.relay.read' END,
       'supply_point', ARRAY[lpad((1 + i % 10)::text, 2, '0') || lpad(((i::bigint * 7919) % 1000000000)::text, 20, '0')],
       1, 'ok', 'switching'
  FROM generate_series(1, {rows}) i,
       LATERAL (SELECT CASE WHEN i % 6 = 0 THEN 'T' || lpad((1 + i % 10)::text, 2, '0') || '00'
                            ELSE 'A' || lpad((1 + i % 50)::text, 4, '0') END AS op) o"""
APPS = """
INSERT INTO applications_index (application_no, area, spid, type, stage, applicant_code, received_at, updated_at)
SELECT 'B' || i, lpad((1 + i % 10)::text, 2, '0'),
       lpad((1 + i % 10)::text, 2, '0') || lpad(((i::bigint * 10 * 7919) % 1000000000)::text, 20, '0'),
       (ARRAY['05', '05', '05', '04', '03', '01'])[1 + i % 6], '01', 'A' || lpad((1 + i % 50)::text, 4, '0'),
       timestamptz '{start}' + (i::float8 / 500000) * interval '35 days',
       timestamptz '{start}' + (i::float8 / 500000) * interval '35 days'
  FROM generate_series(1, 500000) i"""


def ensure(rows: int) -> str:
    admin = admin_url()
    name = f"bench_oversight_{rows}"
    url = with_database(admin, name)
    if not database_exists(admin, name):
        with psycopg.connect(plain_url(admin), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        upgrade("hub", url)
        t0 = time.monotonic()
        with psycopg.connect(plain_url(url)) as conn:  # one transaction: a failed build leaves no half table
            conn.execute(OPERATORS)
            conn.execute(AUDIT.format(start=START, rows=rows))
            conn.execute(APPS.format(start=START))
        with psycopg.connect(plain_url(url), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE audit_records")
            conn.execute("VACUUM ANALYZE applications_index")
        print(f"(generated {rows:,} audit records and 500,000 applications in {time.monotonic() - t0:.1f} s)")
    upgrade("hub", url)
    return url


def timed(label: str, fn, *args):  # noqa: ANN001, ANN201
    t0 = time.monotonic()
    out = fn(*args)
    print(f"{label:<58} {time.monotonic() - t0:7.2f} s")
    return out


async def run(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    now = datetime(2026, 12, 1, 3, 0, tzinfo=JST)
    month = date(2026, 11, 1)
    lo, hi = statistics.bounds("month", month)
    with psycopg.connect(plain_url(url)) as conn:
        total = timed("reference: COUNT(*) of the whole audit table", lambda: conn.execute(
            "SELECT count(*) FROM audit_records").fetchone()[0])
        in_month = timed("reference: COUNT(*) of November's audit records", lambda: conn.execute(
            "SELECT count(*) FROM audit_records WHERE at >= %s AND at < %s", (lo, hi)).fetchone()[0])
    print(f"  ({total:,} rows in the table, {in_month:,} in November)")
    t0 = time.monotonic()
    async with engine.begin() as conn:
        figures = await statistics.refresh(conn, "month", month, now)
    print(f"{'statistics refresh of November (all areas and metrics)':<58} {time.monotonic() - t0:7.2f} s"
          f"   ({figures} figures)")
    t0 = time.monotonic()
    async with engine.begin() as conn:
        await statistics.refresh(conn, "week", date(2026, 11, 23), now)
    print(f"{'statistics refresh of the ISO week of 2026-11-23':<58} {time.monotonic() - t0:7.2f} s")
    wlo, whi = anomaly.window(date(2026, 12, 1))
    with psycopg.connect(plain_url(url)) as conn:
        in_window = timed("reference: COUNT(*) of the 7-day and follow-up windows", lambda: conn.execute(
            "SELECT count(*) FROM audit_records WHERE at >= %s AND at < %s", (wlo - (whi - wlo) * 2, whi)
        ).fetchone()[0])
    print(f"  ({in_window:,} rows in 11-10 … 11-30)")
    t0 = time.monotonic()
    async with engine.begin() as conn:
        found = await anomaly.analyse(conn, date(2026, 12, 1), now)
        await conn.rollback()  # measured, not kept: the next run measures the same work
    print(f"{'anomaly analysis of 2026-12-01 (five kinds, one statement)':<58} {time.monotonic() - t0:7.2f} s"
          f"   ({len(found)} findings)")
    await engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    url = ensure(ap.parse_args().rows)
    asyncio.run(run(url))


if __name__ == "__main__":
    main()
