"""Size of the 30-minute readings layout (docs/scaling.md "Meter readings"): N point-days written
through the ingestion's merge (area/readings/repository.merge_days), then table + index bytes per
million point-days; reference: the same values as one row per slot.

    python bench/readings_size.py --days 100000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import date, timedelta
from decimal import Decimal

import psycopg

from common import admin_url  # noqa: F401  (sets sys.path)
from switchhub.area.readings import repository
from switchhub.db.engine import make_engine
from switchhub.db.migrate import upgrade
from switchhub.db.urls import with_database

SIZE = ("SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('readings_30min')"
        " WHERE isleaf")  # the (month, area) leaves
PER_SLOT = """
CREATE UNLOGGED TABLE per_slot (area varchar(2), spid varchar(22), reading_date date, slot smallint,
                                kwh numeric(10,4), status smallint, PRIMARY KEY (area, spid, reading_date, slot));
INSERT INTO per_slot SELECT area, spid, reading_date, s, (readings_kwh(kwh))[s], status[s]
FROM readings_30min, generate_series(1, 48) s;
"""


def _days(n: int, seed: int) -> list[tuple[str, date, list, list]]:
    rnd = random.Random(seed)
    points, first = max(1, n // 10), date(2026, 11, 1)
    out = []
    for i in range(n):
        # low-voltage household: 0.05–1.5 kWh per half hour, 4 decimals as the meter reports them
        kwh = [Decimal(rnd.randint(500, 15000)).scaleb(-4) for _ in range(48)]
        out.append((f"03{i % points:020d}", first + timedelta(days=i // points), kwh, [0] * 48))
    return out


async def _write(url: str, days: list) -> float:
    engine = make_engine(url, pool_size=1)
    t0 = time.monotonic()
    async with engine.begin() as conn:
        for i in range(0, len(days), 5000):
            await repository.merge_days(conn, "03", days[i:i + 5000])
    elapsed = time.monotonic() - t0
    await engine.dispose()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=100_000, help="point-days to write")
    args = ap.parse_args()
    admin = admin_url()
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute("DROP DATABASE IF EXISTS bench_readings")
        c.execute("CREATE DATABASE bench_readings")
    url = with_database(admin, "bench_readings")
    upgrade("area", url)
    days = _days(args.days, 1)
    elapsed = asyncio.run(_write(url, days))
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("VACUUM ANALYZE readings_30min")
        size = c.execute(SIZE).fetchone()[0]
        index = c.execute(SIZE.replace("pg_total_relation_size", "pg_indexes_size")).fetchone()[0]
        c.execute(PER_SLOT)
        c.execute("VACUUM ANALYZE per_slot")
        per_slot = c.execute("SELECT pg_total_relation_size('per_slot')").fetchone()[0]
    per_million = size * 1_000_000 / args.days
    print(f"point-days: {args.days}  merge: {elapsed:.1f} s ({args.days / elapsed:,.0f} point-days/s)")
    print(f"readings_30min (table + indexes): {size / 2**20:.1f} MiB = {per_million / 2**20:.0f} MiB per million"
          f" point-days; 400 M point-days: {per_million * 400 / 2**30:.0f} GiB")
    print(f"of which indexes: {index * 1_000_000 / args.days / 2**20:.0f} MiB per million point-days")
    print(f"reference, one row per slot: {per_slot * 1_000_000 / args.days / 2**20:.0f} MiB per million point-days")
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute("DROP DATABASE bench_readings")


if __name__ == "__main__":
    main()
