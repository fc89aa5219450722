"""Ingest benchmark (issue 8): one day of 30-minute data for N points (48 rows each) written as the
meter data source's CSV (spid,date,slot,kwh,status), one file per area, ingested through the
streaming service path (area/readings/service.ingest_csv: per-row checks, COPY into the staging
table, SQL checks, set-based merge into readings_30min), one transaction per file as the CLI does.
Reference in the same run: a raw COPY of the same files into an unindexed table.

    python bench/readings_ingest.py --points 200000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from pathlib import Path

import psycopg

from common import BENCH_DIR, copy_databases, ensure_dataset  # (sets sys.path)
from switchhub.area.readings.ingest_cli import ingest_file
from switchhub.db.urls import plain_url

DAY = "2026-11-30"
RAW = """CREATE UNLOGGED TABLE IF NOT EXISTS raw_readings (spid varchar(22), reading_date date, slot smallint,
                                                         kwh numeric(10,4), status smallint)"""


def write_files(area_url: str, directory: Path, seed: int) -> dict[str, tuple[Path, int]]:
    """One CSV per area with 48 rows per point of the dataset: household values with 4 decimals."""
    directory.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    files: dict[str, tuple[Path, int]] = {}
    with psycopg.connect(plain_url(area_url)) as conn:
        areas = [a for (a,) in conn.execute("SELECT DISTINCT area FROM supply_points ORDER BY 1")]
        for area in areas:
            path, rows = directory / f"readings_{area}.csv", 0
            with path.open("w", encoding="ascii", newline="") as out:
                out.write("spid,date,slot,kwh,status\r\n")
                cur = conn.cursor(name=f"points_{area}")
                cur.execute("SELECT spid FROM supply_points WHERE area = %s ORDER BY spid", (area,))
                for (spid,) in cur:
                    out.write("".join(f"{spid},{DAY},{s},{rnd.randint(500, 15000) / 10000:.4f},0\r\n"
                                      for s in range(1, 49)))
                    rows += 48
                cur.close()
            files[area] = (path, rows)
    return files


def raw_copy(area_url: str, files: dict[str, tuple[Path, int]]) -> float:
    with psycopg.connect(plain_url(area_url)) as conn:
        conn.execute(RAW)
        conn.commit()
        t0 = time.monotonic()
        for path, _ in files.values():
            with conn.cursor() as cur, cur.copy("COPY raw_readings FROM STDIN (FORMAT csv, HEADER true)") as copy:
                with path.open("rb") as src:
                    while chunk := src.read(1 << 20):
                        copy.write(chunk)
            conn.commit()
        return time.monotonic() - t0


async def service_ingest(area_url: str, files: dict[str, tuple[Path, int]]) -> tuple[float, int, int]:
    t0, days, rows = time.monotonic(), 0, 0
    for area, (path, _) in files.items():
        done = await ingest_file(area_url, area, path)
        days, rows = days + done.days, rows + done.rows
    return time.monotonic() - t0, rows, days


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    args = ap.parse_args()
    ensure_dataset(args.points)
    _, area_url = copy_databases(args.points, "bench_readings_ingest")
    t0 = time.monotonic()
    files = write_files(area_url, BENCH_DIR / f"readings_ingest_{args.points}", 1)
    rows = sum(n for _, n in files.values())
    size = sum(p.stat().st_size for p, _ in files.values())
    print(f"one day of 30-minute data, {args.points:,} points: {rows:,} rows in {len(files)} area files"
          f" ({size / 2**20:,.0f} MiB), written in {time.monotonic() - t0:.1f} s")
    raw = raw_copy(area_url, files)
    print(f"reference, raw COPY into an unindexed table: {raw:7.1f} s  {rows / raw:>10,.0f} rows/s")
    took, ingested, days = asyncio.run(service_ingest(area_url, files))
    assert ingested == rows, (ingested, rows)
    print(f"streaming ingest (checks, staging, SQL checks, merge): {took:7.1f} s  {rows / took:>10,.0f} rows/s"
          f"  ({days:,} point-days)")
    print(f"ingest / raw COPY: {took / raw:.1f}× the time")
    with psycopg.connect(plain_url(area_url)) as conn:
        stored = conn.execute("SELECT count(*) FROM readings_30min WHERE reading_date = %s", (DAY,)).fetchone()[0]
    print(f"point-days stored: {stored:,} (expected {args.points:,})")
    for path, _ in files.values():
        path.unlink()


if __name__ == "__main__":
    main()
