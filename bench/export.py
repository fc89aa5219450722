"""P4 (scaled): own-point export of the largest retailer through the full path, next to a raw
COPY of the same rows to gzip CSV in the same run.

    python bench/export.py --points 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import io
import ssl
import threading
import time

import asyncpg
import httpx
import psutil

from common import ensure_dataset, start_services, stop
from switchhub.db.urls import plain_url


async def raw_copy_gzip(area_url: str, retailer: str) -> tuple[float, int]:
    conn = await asyncpg.connect(plain_url(area_url))
    buf = io.BytesIO()
    gz = gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=6)
    async def sink(chunk: bytes) -> None:
        gz.write(chunk)

    t0 = time.monotonic()
    await conn.copy_from_query(
        "SELECT p.*, c.name_kana, c.name_kanji, c.phone FROM supply_periods s JOIN supply_points p"
        " ON p.area = s.area AND p.spid = s.spid LEFT JOIN customer_periods c ON c.area = s.area AND c.spid = s.spid"
        " AND c.valid_to IS NULL WHERE s.retailer_code = $1 AND s.valid_to IS NULL", retailer,
        output=sink, format="csv", header=True)
    gz.close()
    elapsed = time.monotonic() - t0
    await conn.close()
    return elapsed, len(buf.getvalue())


async def run(args: argparse.Namespace) -> None:
    hub_url, area_url = ensure_dataset(args.points)
    conn = await asyncpg.connect(plain_url(area_url))
    retailer, count = await conn.fetchrow(
        "SELECT retailer_code, count(*) FROM supply_periods WHERE valid_to IS NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 1")
    await conn.close()
    retailer = retailer.strip()
    raw_s, raw_bytes = await raw_copy_gzip(area_url, retailer)
    procs, info = start_services(hub_url, area_url)
    try:
        c = info["clients"]["M0300"] if retailer == "M0300" else None
        if c is None:
            raise SystemExit(f"largest retailer is {retailer}; the bench registers M0300 only")
        ctx = ssl.create_default_context(cafile=info["ca"])
        ctx.load_cert_chain(c["cert"], c["key"])
        peak = {"hub": 0.0, "area": 0.0}
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak["area"] = max(peak["area"], psutil.Process(procs[0].pid).memory_info().rss / 1e6)
                peak["hub"] = max(peak["hub"], psutil.Process(procs[1].pid).memory_info().rss / 1e6)
                time.sleep(0.05)

        base = {"area": psutil.Process(procs[0].pid).memory_info().rss / 1e6,
                "hub": psutil.Process(procs[1].pid).memory_info().rss / 1e6}
        t = threading.Thread(target=sample)
        t.start()
        size = rows = 0
        t0 = time.monotonic()
        async with httpx.AsyncClient(verify=ctx, timeout=300, headers={"Authorization": f"Bearer {c['token']}"}) as cl:
            async with cl.stream("GET", f"{info['base']}/api/v1/supply-points:export") as r:
                d = __import__("zlib").decompressobj(47)
                async for chunk in r.aiter_raw():
                    size += len(chunk)
                    rows += d.decompress(chunk).count(b"\n")
        elapsed = time.monotonic() - t0
        done.set()
        t.join()
    finally:
        stop(procs)
    print(f"P4 own-point export: retailer {retailer}, {count:,} points of {args.points:,}")
    print(f"full path (TLS→hub→TLS→area COPY→gzip)  {elapsed:6.2f} s   {size / 1e6:6.1f} MB gzip   {rows - 1:,} rows")
    print(f"reference: raw COPY → gzip, same rows  {raw_s:6.2f} s   {raw_bytes / 1e6:6.1f} MB   ratio {elapsed / raw_s:.1f}× (target ≤ 3×)")
    print(f"scaled to 1,000,000 points: {elapsed * 1_000_000 / count:.1f} s, {size / count:.0f} bytes/point"
          f" ({size * 1_000_000 / count / 1e6:.1f} MB)")
    print(f"peak RSS during export: hub {base['hub']:.0f}→{peak['hub']:.0f} MB, area {base['area']:.0f}→{peak['area']:.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
