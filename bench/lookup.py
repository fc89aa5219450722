"""P1: facility lookup through the full path next to raw driver lookups and a minimal endpoint.

Full path: client TLS (client certificate + bearer) → hub → area (HTTPS, hub certificate) →
PostgreSQL → visibility policy → audit record → answer. The caller is the supplying retailer,
so every answer carries supplier fields and writes an audit row.

    python bench/lookup.py --points 1000000 --seconds 20 --concurrency 32
"""

from __future__ import annotations

import argparse
import asyncio
import random
import ssl
import subprocess
import sys
import time

import asyncpg

from common import BENCH_DIR, cpu_seconds, ensure_dataset, percentiles, rss_mb, start_services, stop
from rawclient import RawConnection
from switchhub.db.urls import plain_url


async def drive(call, ids: list[str], seconds: float, concurrency: int) -> dict:
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def worker(k: int) -> None:
        nonlocal errors
        i = k
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                ok = await call(ids[i % len(ids)])
            except Exception:
                ok = False
            latencies.append((time.perf_counter() - t0) * 1000)
            errors += 0 if ok else 1
            i += concurrency

    t0 = time.monotonic()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    elapsed = time.monotonic() - t0
    p50, p99 = percentiles(latencies)
    return {"n": len(latencies), "rps": len(latencies) / elapsed, "p50": p50, "p99": p99, "errors": errors}


def line(name: str, r: dict) -> str:
    return (f"{name:<34} {r['rps']:>8,.0f} req/s   p50 {r['p50']:6.1f} ms   p99 {r['p99']:6.1f} ms"
            f"   errors {r['errors']}   (n={r['n']:,})")


async def main_async(args: argparse.Namespace) -> None:
    hub_url, area_url = ensure_dataset(args.points)
    conn = await asyncpg.connect(plain_url(area_url))
    ids = [r["spid"] for r in await conn.fetch(
        "SELECT spid FROM supply_periods WHERE retailer_code = 'M0300' AND valid_to IS NULL ORDER BY md5(spid) LIMIT 20000")]
    await conn.close()
    random.Random(1).shuffle(ids)

    pool = await asyncpg.create_pool(plain_url(area_url), min_size=8, max_size=8)

    async def raw(spid: str) -> bool:
        return await pool.fetchrow("SELECT * FROM supply_points WHERE area = $1 AND spid = $2", spid[:2], spid) is not None

    raw_r = await drive(raw, ids, args.seconds / 2, args.concurrency)
    await pool.close()

    procs, info = start_services(hub_url, area_url)
    minimal = subprocess.Popen([sys.executable, __file__.replace("lookup.py", "minimal_app.py"),
                                "--port", "18500", "--database-url", area_url, "--certs", str(BENCH_DIR / "data" / "certs")])
    try:
        from switchhub.demo import _wait_for_port

        _wait_for_port(18500)
        c = info["clients"]["M0300"]
        ctx = ssl.create_default_context(cafile=info["ca"])
        ctx.load_cert_chain(c["cert"], c["key"])
        hub_port = int(info["base"].rsplit(":", 1)[1])

        def pooled(port: int, headers: dict[str, str]):
            conns = [RawConnection("127.0.0.1", port, ctx, headers) for _ in range(args.concurrency)]
            free = asyncio.Queue()
            for conn in conns:
                free.put_nowait(conn)
            return conns, free

        conns, free = pooled(18500, {})

        async def minimal_call(spid: str) -> bool:
            conn = await free.get()
            try:
                return (await conn.get(f"/p/{spid}"))[0] == 200
            finally:
                free.put_nowait(conn)

        min_r = await drive(minimal_call, ids, args.seconds, args.concurrency)
        for conn in conns:
            conn.close()
        conns, free = pooled(hub_port, {"Authorization": f"Bearer {c['token']}"})

        async def full(spid: str) -> bool:
            conn = await free.get()
            try:
                status, body = await conn.get(f"/api/v1/supply-points/{spid}")
                return status == 200 and b"customer_name_kanji" in body
            finally:
                free.put_nowait(conn)

        await drive(full, ids[:500], 2, args.concurrency)  # warm-up
        rss0 = [rss_mb(p.pid) for p in procs]
        cpu0 = cpu_seconds(procs)
        full_r = await drive(full, ids, args.seconds, args.concurrency)
        cpu1 = cpu_seconds(procs)
        rss1 = [rss_mb(p.pid) for p in procs]
        for conn in conns:
            conn.close()
    finally:
        minimal.terminate()
        stop(procs)
    print(f"P1 facility lookup, {args.points:,} points, {args.concurrency} connections, client on the same 2 cores")
    print(line("raw asyncpg (8 connections)", raw_r))
    print(line("minimal endpoint (TLS, 1 query)", min_r))
    print(line("full path (TLS→hub→TLS→area→audit)", full_r))
    print(f"full path / minimal endpoint = {full_r['rps'] / min_r['rps']:.0%}  (target ≥ 25%)")
    print(f"RSS hub {rss0[1]:.0f}→{rss1[1]:.0f} MB, area {rss0[0]:.0f}→{rss1[0]:.0f} MB")
    per = {k: (cpu1[k] - cpu0[k]) * 1000 / max(full_r["n"], 1) for k in cpu0}
    print("CPU per full-path lookup: " + ", ".join(f"{k} {v:.2f} ms" for k, v in per.items())
          + f"  (of {2000 / max(full_r['rps'], 1e-9) * 1:.2f} ms of 2 cores per lookup)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--concurrency", type=int, default=32)
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
