"""P8 (scaled): generate and bulk-load N supply points; reference: a raw COPY of N narrow rows.

    python bench/load_points.py --points 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import time

import asyncpg
import psycopg

from common import admin_url  # noqa: F401  (sets sys.path)
from switchhub.db.migrate import upgrade
from switchhub.db.urls import plain_url, with_database
from switchhub.generate.load import generate
from switchhub.generate.points import generate_slice


async def raw_copy(url: str, n: int) -> float:
    conn = await asyncpg.connect(plain_url(url))
    await conn.execute("DROP TABLE IF EXISTS bench_raw; CREATE UNLOGGED TABLE bench_raw (spid char(22), n int)")
    rows = [(f"{i:022d}", i) for i in range(n)]
    t0 = time.monotonic()
    await conn.copy_records_to_table("bench_raw", records=rows)
    elapsed = time.monotonic() - t0
    await conn.execute("DROP TABLE bench_raw")
    await conn.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true",
                    help="keep the loaded databases as the other scripts' dataset of this size (bench_*_N)")
    args = ap.parse_args()
    admin = admin_url()
    names = ("bench_load_hub", "bench_load_area")
    with psycopg.connect(plain_url(admin), autocommit=True) as conn:
        for n in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{n}"')
            conn.execute(f'CREATE DATABASE "{n}"')
    hub, area = (with_database(admin, n) for n in names)
    upgrade("hub", hub)
    upgrade("area", area)
    t0 = time.monotonic()
    generate_slice("03", 0, 50_000, args.seed)
    gen_rate = 50_000 / (time.monotonic() - t0)
    t0 = time.monotonic()
    result = generate(hub, area, args.points, args.seed)
    total = time.monotonic() - t0
    raw = asyncio.run(raw_copy(area, args.points))
    print(f"points                      {args.points:>12,}")
    print(f"generate + COPY + indexes   {total:>10.1f} s   ({args.points / total:,.0f} points/s)  target ≤ 180 s per 1 M")
    print(f"reference: generation only  {args.points / gen_rate:>10.1f} s   (one core, {gen_rate:,.0f} points/s)")
    print(f"reference: raw COPY of {args.points:,} two-column rows  {raw:.1f} s")
    print(f"per area: {result.per_area}")
    if args.keep:  # what ensure_dataset(N) would otherwise generate again (bench/search.py --points N)
        with psycopg.connect(plain_url(admin), autocommit=True) as conn:
            for n, kept in zip(names, (f"bench_hub_{args.points}", f"bench_area_{args.points}"), strict=True):
                conn.execute(f'DROP DATABASE IF EXISTS "{kept}"')
                conn.execute(f'ALTER DATABASE "{n}" RENAME TO "{kept}"')


if __name__ == "__main__":
    main()
