"""P4 (scaled): own-point export of the largest retailer through the full path, per column set
(`fields=standard|full`) and compression (`compression=fast|small|zstd`: gzip 1, gzip 6, zstd 1),
each next to a raw COPY of the same rows and columns compressed the same way in this process,
measured in the same run.

    python bench/export.py --points 1000000 [--runs standard:fast,standard:zstd]
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import threading
import time
import zlib

import asyncpg
import httpx
import psutil
import zstandard

from common import ensure_dataset, start_services, stop
from switchhub.area.points.repository import _EXPR as COLUMN_SQL  # field → SQL over p / cur / sup
from switchhub.db.urls import plain_url

#: contract/points.py ExportCompression: (codec, level) of each `compression=`
CODEC = {"fast": ("gzip", 1), "small": ("gzip", 6), "zstd": ("zstd", 1)}
RUNS = [(f, c) for f in ("standard", "full") for c in CODEC]


def compressor(compression: str):
    codec, level = CODEC[compression]
    if codec == "zstd":
        return zstandard.ZstdCompressor(level=level).compressobj()
    return zlib.compressobj(level, zlib.DEFLATED, 31)


def decompressor(compression: str):
    if CODEC[compression][0] == "zstd":
        return zstandard.ZstdDecompressor().decompressobj()
    return zlib.decompressobj(47)
GOAL_S, GOAL_MB = 5.0, 20.0  # targets.md P4, per 1,000,000 points


async def raw_copy(area_url: str, retailer: str, columns: list[str], compression: str) -> tuple[float, int]:
    """The reference: the same columns of the same rows by a plain join (the customer of the open
    period), COPY to CSV compressed as `compression` in this process."""
    conn = await asyncpg.connect(plain_url(area_url))
    gz = compressor(compression)
    size = 0

    async def sink(chunk: bytes) -> None:
        nonlocal size
        size += len(gz.compress(chunk))

    select = ", ".join(f"{COLUMN_SQL[c]} AS {c}" for c in columns)
    t0 = time.monotonic()
    await conn.copy_from_query(
        f"SELECT {select} FROM supply_periods s JOIN supply_points p ON p.area = s.area AND p.spid = s.spid"
        " LEFT JOIN customer_periods cur ON cur.area = s.area AND cur.spid = s.spid AND cur.valid_to IS NULL,"
        " LATERAL (SELECT s.retailer_code) sup WHERE s.retailer_code = $1 AND s.valid_to IS NULL", retailer,
        output=sink, format="csv", header=True)
    size += len(gz.flush())
    elapsed = time.monotonic() - t0
    await conn.close()
    return elapsed, size


async def full_path(info: dict, client: dict, procs: list, fields: str, compression: str) -> dict:
    ctx = ssl.create_default_context(cafile=info["ca"])
    ctx.load_cert_chain(client["cert"], client["key"])
    rss = {"area": lambda: psutil.Process(procs[0].pid).memory_info().rss / 1e6,
           "hub": lambda: psutil.Process(procs[1].pid).memory_info().rss / 1e6}
    base = {k: f() for k, f in rss.items()}
    peak = dict(base)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for k, f in rss.items():
                peak[k] = max(peak[k], f())
            time.sleep(0.05)

    t = threading.Thread(target=sample)
    t.start()
    size = rows = 0
    t0 = time.monotonic()
    async with httpx.AsyncClient(verify=ctx, timeout=300, headers={"Authorization": f"Bearer {client['token']}"}
                                 ) as cl:
        async with cl.stream("GET", f"{info['base']}/api/v1/supply-points:export",
                             params={"fields": fields, "compression": compression}) as r:
            r.raise_for_status()
            columns = r.headers["x-export-fields"].split(",")
            d = decompressor(compression)
            async for chunk in r.aiter_raw():
                size += len(chunk)
                while chunk:  # the answer is a sequence of gzip members or zstd frames (one per area)
                    if d.eof:
                        d = decompressor(compression)
                    rows += d.decompress(chunk).count(b"\n")
                    chunk = d.unused_data if d.eof else b""
    elapsed = time.monotonic() - t0
    done.set()
    t.join()
    return {"s": elapsed, "bytes": size, "rows": rows - 1, "columns": columns, "base": base, "peak": peak}


async def run(args: argparse.Namespace) -> None:
    hub_url, area_url = ensure_dataset(args.points)
    conn = await asyncpg.connect(plain_url(area_url))
    retailer, count = await conn.fetchrow(
        "SELECT retailer_code, count(*) FROM supply_periods WHERE valid_to IS NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 1")
    areas = await conn.fetchval(
        "SELECT count(DISTINCT area) FROM supply_periods WHERE valid_to IS NULL AND retailer_code = $1", retailer)
    await conn.close()
    retailer = retailer.strip()
    if retailer != "M0300":
        raise SystemExit(f"largest retailer is {retailer}; the bench registers M0300 only")
    procs, info = start_services(hub_url, area_url, port=args.port)
    results = []
    try:
        for fields, compression in args.runs:
            got = await full_path(info, info["clients"][retailer], procs, fields, compression)
            got["ref_s"], got["ref_bytes"] = await raw_copy(area_url, retailer, got["columns"], compression)
            results.append((fields, compression, got))
    finally:
        stop(procs)
    print(f"P4 own-point export: retailer {retailer}, {count:,} points of {args.points:,} in {areas} area(s)")
    for fields, compression, g in results:
        per_m = 1_000_000 / count
        s_1m, mb_1m = g["s"] * per_m, g["bytes"] * per_m / 1e6
        verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
        codec = " ".join(map(str, CODEC[compression]))
        print(f"fields={fields} compression={compression} ({codec}), {len(g['columns'])} columns")
        print(f"  full path (TLS→hub→TLS→area COPY→{codec})  {g['s']:6.2f} s  {g['bytes'] / 1e6:6.1f} MB"
              f"  {g['rows']:,} rows  peak RSS hub {g['base']['hub']:.0f}→{g['peak']['hub']:.0f} MB,"
              f" area {g['base']['area']:.0f}→{g['peak']['area']:.0f} MB")
        print(f"  reference: raw COPY → {codec}, same rows and columns  {g['ref_s']:6.2f} s"
              f"  {g['ref_bytes'] / 1e6:6.1f} MB   ratio {g['s'] / g['ref_s']:.1f}× (target ≤ 3×)")
        print(f"  scaled to 1,000,000 points: {s_1m:.1f} s, {g['bytes'] / count:.0f} bytes/point ({mb_1m:.1f} MB)"
              f"  P4 time (≤ {GOAL_S:.0f} s): {verdict(s_1m <= GOAL_S)}, size (≤ {GOAL_MB:.0f} MB):"
              f" {verdict(mb_1m <= GOAL_MB)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--port", type=int, default=18443, help="hub port (the area listens on the next one)")
    ap.add_argument("--runs", type=lambda v: [tuple(r.split(":")) for r in v.split(",")], default=RUNS,
                    help="fields:compression pairs, comma-separated (default: every pair)")
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
