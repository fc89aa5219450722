"""P10: a 13-month usage inquiry for 20 points (monthly kWh and 30-minute days of smart meters) through
the area's inquiry service, next to the same rows read by one raw SQL query, in the same run.

The service path per point: the point and its customer period, the issued passwords of the point
(salted SHA-256 check), the visibility grant, the months and the days (kWh as text, as stored), and
the answer serialised to JSON as the area sends it. 20 inquiries (the API asks per point) run one
after another on one connection; the reference is one asyncpg query of the same 20 × (13 months +
~395 days) rows. Then the same inquiries through the hub over HTTPS (hub and area as processes).

    python bench/usage_inquiry.py --points 3000 --rounds 50 --https-rounds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import asyncpg
from common import copy_databases, ensure_dataset, percentiles

from switchhub.area.usage import repository as repo
from switchhub.area.usage import service
from switchhub.contract.headers import caller_headers
from switchhub.contract.usage import UsageInquiryRequest, UsagePasswordRequest
from switchhub.db.engine import lookup_reader, make_engine
from switchhub.db.urls import plain_url
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock

POINTS = 20
APPLICANT = Caller("A0001", "retailer", frozenset({"03"}), "a0001-api", "api")
INQUIRER = Caller("A0002", "retailer", frozenset({"03"}), "a0002-api", "api")
RAW = """
SELECT spid, billing_month AS day, kwh::text AS kwh, NULL::smallint[] AS status FROM readings_monthly
WHERE area = '03' AND spid = ANY($1::varchar[]) AND billing_month >= $2
UNION ALL
SELECT spid, reading_date, kwh, status FROM readings_30min
WHERE area = '03' AND spid = ANY($1::varchar[]) AND reading_date >= $2
"""


async def prepare(area_url: str) -> tuple[list[str], str]:
    """20 smart points of one customer with 13 months of readings and one issued password."""
    conn = await asyncpg.connect(plain_url(area_url))
    spids = [r["spid"] for r in await conn.fetch(
        "SELECT p.spid FROM supply_points p JOIN customer_periods c ON c.area = p.area AND c.spid = p.spid"
        " AND c.valid_to IS NULL WHERE p.area = '03' AND p.channel = 'low'"
        " AND p.meters @> '[{\"smart\": true}]' ORDER BY p.spid LIMIT $1", POINTS)]
    today = get_clock().today()
    start = service.window_start(today)
    # one customer since before the window, so that nothing is withheld
    await conn.execute("UPDATE customer_periods SET name_kana = 'ヨウリョウ タロウ', name_kanji = '用量 太郎',"
                       " valid_from = LEAST(valid_from, $2::date - 30) WHERE spid = ANY($1::varchar[])"
                       " AND valid_to IS NULL", spids, start)
    await conn.execute("UPDATE supply_points SET prefecture = '東京都', city = '新宿区', town = '西新宿',"
                       " block = '2-8-1', building = '', room = '' WHERE spid = ANY($1::varchar[])", spids)
    await conn.execute("SELECT readings_month_partition(m::date) FROM generate_series($1::date, $2::date,"
                       " interval '1 month') m", start, today)
    await conn.execute(
        "INSERT INTO readings_monthly (area, spid, billing_month, kwh, max_demand_kw, power_factor)"
        " SELECT '03', s, m::date, 250 + random() * 100, 3.5, 97 FROM unnest($1::varchar[]) s,"
        " generate_series($2::date, $3::date, interval '1 month') m ON CONFLICT DO NOTHING", spids, start, today)
    await conn.execute(
        "INSERT INTO readings_30min (area, spid, reading_date, kwh, status)"
        " SELECT '03', s, d::date, (SELECT array_to_string(array_agg(round((random() * 0.8)::numeric, 4)::numeric(10,4)), ',')"
        " FROM generate_series(1, 48) WHERE d IS NOT NULL),"  # (correlated: other values each day; uncorrelated, one array served all days)
        " array_fill(0::smallint, ARRAY[48]) FROM unnest($1::varchar[]) s,"
        " generate_series($2::date, $3::date - 1, interval '1 day') d ON CONFLICT DO NOTHING", spids, start, today)
    await conn.close()
    engine = make_engine(area_url, pool_size=1)
    async with engine.begin() as c:
        req = UsagePasswordRequest(spids=spids, validity_days=31, customer_name_kana="ヨウリョウ タロウ",
                                   customer_name_kanji="用量 太郎", address="東京都新宿区西新宿2-8-1",
                                   phone="090-1234-5678", consent_date=today)
        answer = await service.request(c, APPLICANT, req, frozenset({"03"}), get_clock().now())
        assert answer["stage"] == "06", answer
        password = await repo.take_pickup(c, "03", answer["application_no"], get_clock().now())
    await engine.dispose()
    return spids, password


async def https_path(hub_url: str, area_url: str, spids: list[str], password: str, rounds: int, port: int,
                     batch_only: bool = False, httpx_client: bool = False) -> tuple[list[float], ...]:
    """The same 20 inquiries through the hub over mutual TLS (hub → area over HTTPS, the hub's
    contract check, visibility re-check and audit record): one after another, all 20 at once, and as
    one batch inquiry (`POST /api/v1/usage:query`, one hub → area call); and that hub → area call
    alone (`POST /area/v1/usage:query` with the hub's client certificate): what the hub adds is the
    difference."""
    import ssl

    import httpx
    from common import start_services, stop
    from rawclient import RawConnection

    procs, info = start_services(hub_url, area_url, port=port)
    sequential, concurrent, batched, area_hop = [], [], [], []
    cpu = [0.0] * 4  # area, hub, PostgreSQL, this client: CPU seconds spent in the timed batches
    try:
        c = info["clients"]["M0300"]
        ctx = ssl.create_default_context(cafile=info["ca"])
        ctx.load_cert_chain(c["cert"], c["key"])
        async with httpx.AsyncClient(base_url=info["base"], verify=ctx, timeout=60,
                                     headers={"Authorization": f"Bearer {c['token']}"}) as client:
            async def one(spid: str) -> None:
                r = await client.post(f"/api/v1/supply-points/{spid}/usage:query",
                                      json={"password": password, "purpose": "bench"})
                assert r.status_code == 200, r.text

            # the batch as a retailer's lean client sends it (bench/rawclient.py: httpx alone spends ≈ 15 ms of
            # CPU receiving 3.2 MB over TLS, on the cores the servers share); --httpx-client for httpx
            lean = RawConnection("127.0.0.1", port, ctx, {"Authorization": f"Bearer {c['token']}"})
            batch_body = json.dumps({"spids": spids, "password": password, "purpose": "bench"}).encode()

            async def batch(check: bool = False) -> None:
                if httpx_client:
                    r = await client.post("/api/v1/usage:query", content=batch_body,
                                          headers={"Content-Type": "application/json"})
                    status, content = r.status_code, r.content
                else:
                    status, content = await lean.post("/api/v1/usage:query", batch_body)
                assert status == 200, content[:500]
                if check:  # not timed: the client's parse of 4 MB is not the hub's cost
                    assert [i["outcome"] for i in json.loads(content)["items"]] == ["answered"] * len(spids)

            area_ctx = ssl.create_default_context(cafile=info["ca"])
            area_ctx.load_cert_chain(*info["hub_client"])
            area_client = httpx.AsyncClient(base_url=info["area_base"], verify=area_ctx, timeout=60,
                                            headers=caller_headers(INQUIRER))

            async def area_batch() -> None:  # the hub's own hop to the area, as the hub makes it (plain JSON
                # unless SWITCHHUB_AREA_GZIP)
                r = await area_client.post("/area/v1/usage:query", headers={"Accept-Encoding": "identity"},
                                           json={"spids": spids, "password": password, "purpose": "bench"})
                assert r.status_code == 200, r.text

            await batch(check=True)

            for i in range(rounds + 3):
                t0 = time.perf_counter()
                for s in spids if not batch_only else ():
                    await one(s)
                t1 = time.perf_counter()
                if not batch_only:
                    await asyncio.gather(*(one(s) for s in spids))
                t2 = time.perf_counter()
                watched = cpu_watch([p.pid for p in procs])  # (PostgreSQL's backends as they are now)
                c0 = cpu_seconds(watched)
                await batch()
                t3 = time.perf_counter()
                if i >= 3:
                    cpu = [a + b - c for a, b, c in zip(cpu, cpu_seconds(watched), c0)]
                await area_batch()
                t4 = time.perf_counter()
                if i >= 3 and not batch_only:
                    sequential.append((t1 - t0) * 1000)
                    concurrent.append((t2 - t1) * 1000)
                if i >= 3:
                    batched.append((t3 - t2) * 1000)
                    area_hop.append((t4 - t3) * 1000)
            await area_client.aclose()
            lean.close()
    finally:
        stop(procs)
    per = [c * 1000 / max(1, len(batched)) for c in cpu]
    print(f"  CPU per batch through the hub: hub {per[1]:.1f} ms, area {per[0]:.1f} ms, PostgreSQL {per[2]:.1f} ms"
          f" (embedded only), this client {per[3]:.1f} ms: {sum(per):.1f} ms"
          " (what the 2 cores must do per batch, whatever the load)")
    return sequential, concurrent, batched, area_hop


def cpu_watch(pids: list[int]) -> tuple:
    """The area and hub processes (start_services order), and the embedded PostgreSQL's processes."""
    import psutil

    from common import BENCH_DIR

    pg = []
    for p in psutil.process_iter(["cmdline"]):
        if any(str(BENCH_DIR / "pg") in c for c in (p.info["cmdline"] or [])):
            pg += [p, *p.children(recursive=True)]
    return psutil.Process(pids[0]), psutil.Process(pids[1]), pg


def cpu_seconds(watched: tuple) -> list[float]:
    """CPU seconds so far: area, hub, PostgreSQL (its backends as they are now), this process."""
    import psutil

    def of(ps: list) -> float:
        total = 0.0
        for p in ps:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    area, hub, pg = watched
    return [of([area]), of([hub]), of(pg), time.process_time()]


async def main_async(args: argparse.Namespace, hub_url: str, area_url: str) -> None:
    spids, password = await prepare(area_url)
    body = UsageInquiryRequest(password=password, purpose="bench")
    reader = lookup_reader(make_engine(area_url, pool_size=1), pool_size=1)
    start = service.window_start(get_clock().today())
    service_ms, raw_ms, size = [], [], 0
    raw = await asyncpg.connect(plain_url(area_url))
    async with reader.connect() as conn:
        for i in range(args.rounds + 3):
            t0 = time.perf_counter()
            answers = [await service.inquire(conn, INQUIRER, s, body, frozenset({"03"}), get_clock().now())
                       for s in spids]
            t1 = time.perf_counter()
            rows = await raw.fetch(RAW, spids, start)
            t2 = time.perf_counter()
            if i >= 3:  # warm-up rounds (plans, caches) are not counted
                service_ms.append((t1 - t0) * 1000)
                raw_ms.append((t2 - t1) * 1000)
            size = sum(len(a) for a in answers)
    days = sum(len(json.loads(a)["days"]) for a in answers)
    months = sum(len(json.loads(a)["months"]) for a in answers)
    await raw.close()
    await reader.dispose()
    sp50, sp99 = percentiles(service_ms)
    rp50, rp99 = percentiles(raw_ms)
    print(f"13-month inquiry, {len(spids)} points ({months} months, {days:,} days, {size / 1e6:.1f} MB JSON),"
          f" {args.rounds} rounds")
    print(f"  area service (20 inquiries)   p50 {sp50:7.1f} ms   p99 {sp99:7.1f} ms")
    print(f"  one raw SQL query (same rows) p50 {rp50:7.1f} ms   p99 {rp99:7.1f} ms   ({len(rows):,} rows)")
    if args.https_rounds:
        seq, conc, batched, hop = await https_path(hub_url, area_url, spids, password, args.https_rounds, args.port,
                                                   args.batch_only, args.httpx_client)
        for name, samples in (("hub over HTTPS, one by one", seq), ("hub over HTTPS, 20 at once", conc),
                              ("hub over HTTPS, one batch", batched), ("area over HTTPS, one batch", hop)):
            if not samples:
                continue
            p50, p99 = percentiles(samples)
            print(f"  {name:<29} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   ({args.https_rounds} rounds)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--https-rounds", type=int, default=10, help="0: the area service only")
    parser.add_argument("--port", type=int, default=18643)
    parser.add_argument("--batch-only", action="store_true", help="through the hub: only the batch inquiry")
    parser.add_argument("--httpx-client", action="store_true",
                        help="the batch sent by httpx instead of the lean client (the figures before 2026-12-02)")
    args = parser.parse_args()
    from switchhub import allocator

    allocator.tune()  # the client's own copies of 3.2 MB, as the servers' (allocator.py)
    ensure_dataset(args.points)
    hub_url, area_url = copy_databases(args.points, "usage_bench")
    asyncio.run(main_async(args, hub_url, area_url))


if __name__ == "__main__":
    main()

