"""P2 and P3: matching delay and complete switches per second through the full path, and a mixed
workload of every other application type next to it in the same run.

Each switch: relay (new retailer) → OK (current retailer) → switch-start → switch-end, over
mutual TLS to `switchhub hub` and `switchhub area` processes, on copies of the 1 M dataset, from one
keep-alive connection per retailer and parallel switch (bench/rawclient.py).
Matching happens inside the second application's transaction, so the matching delay is the
time from sending the second application until both are at stage 05 (checked on the answer).

The mixed workload (`--mixed N`) then files N applications over other points, in a fixed
rotation: termination, termination with removal, ampere change and customer change by the
current retailer, and reconnection of vacant points by the new retailer — each one POST through
the hub to the area with its state checks, dates and audit — and reports applications/s and
the latency of one filing.

    python bench/switch_flow.py --points 1000000 --switches 400 --mixed 1000 --concurrency 16
"""

from __future__ import annotations

import argparse
import asyncio
import json as _json
import ssl
import time

import psycopg

from common import copy_databases, cpu_seconds, ensure_dataset, percentiles, start_services, stop
from rawclient import RawConnection
from switchhub.db.urls import plain_url


# supplied smart low-voltage points of M0300 that every application type of MIXED can be filed on
# (an ampere change to 60 A needs another current), in an order fixed by the salt
FILEABLE = ("SELECT p.spid FROM supply_points p JOIN supply_periods s ON s.area = p.area AND s.spid = p.spid"
            " AND s.valid_to IS NULL WHERE s.retailer_code = 'M0300' AND p.contract_status = '1' AND p.channel = 'low'"
            " AND p.capacity_method = '1' AND p.contract_current IS DISTINCT FROM 60"
            " AND p.meters @> '[{\"smart\": true}]' ORDER BY md5(p.spid || %s) LIMIT %s")


async def run(args: argparse.Namespace) -> None:
    ensure_dataset(args.points)
    hub_url, area_url = copy_databases(args.points, "bench_sw")
    with psycopg.connect(plain_url(area_url)) as conn:
        spids = [r[0] for r in conn.execute(
            "SELECT p.spid FROM supply_points p JOIN supply_periods s ON s.area = p.area AND s.spid = p.spid"
            " AND s.valid_to IS NULL WHERE s.retailer_code = 'M0300' AND p.contract_status = '1' AND p.channel = 'low'"
            " AND p.capacity_method = '1' AND p.meters @> '[{\"smart\": true}]' ORDER BY md5(p.spid) LIMIT %s",
            (args.switches,))]
        others = [r[0] for r in conn.execute(FILEABLE, ("mixed", args.switches + args.mixed))]
        others = [o for o in others if o not in set(spids)][:args.mixed]  # none of the switched points
        vacant = [r[0] for r in conn.execute(
            "SELECT spid FROM supply_points WHERE area = '03' AND contract_status = '2' AND channel = 'low'"
            " ORDER BY md5(spid) LIMIT %s", (args.mixed // 5 + 1,))]
    procs, info = start_services(hub_url, area_url, port=18600)
    try:
        def client(code: str) -> Retailer:
            c = info["clients"][code]
            ctx = ssl.create_default_context(cafile=info["ca"])
            ctx.load_cert_chain(c["cert"], c["key"])
            return Retailer(ctx, int(info["base"].rsplit(":", 1)[1]), c["token"])

        pairs = [(client("A0001"), client("M0300")) for _ in range(args.concurrency)]
        delays: list[float] = []
        failures = 0
        queue: asyncio.Queue[str] = asyncio.Queue()
        for s in spids:
            queue.put_nowait(s)

        async def one(new: Retailer, cur: Retailer, spid: str) -> None:
            nonlocal failures
            r = await new.post("/api/v1/relays", json={
                "spid": spid, "current_retailer_code": "M0300", "contract_no": "B-1", "customer_name_kana": "ベンチ タロウ",
                "customer_name_kanji": "ベンチ 太郎", "address": "東京都", "requested_switch_date": "2030-01-31",
                "contact_name": "ベンチ", "contact_phone": "03-0000-0000"})
            if r.status_code != 201:
                failures += 1
                return
            relay_no = r.json()["relay_no"]
            await cur.post(f"/api/v1/relays/{relay_no}/decision", json={"decision": "01", "staff_name": "ベンチ"})
            s = await new.post("/api/v1/applications/switch-start", json={
                "spid": spid, "service_menu": "01", "capacity_method": "1", "contract_current": 30,
                "customer_name_kana": "ベンチ タロウ", "customer_name_kanji": "ベンチ 太郎",
                "customer_phone": "090-0000-0000", "consent": True, "relay_no": relay_no})
            if s.status_code != 201:
                failures += 1
                return
            t0 = time.perf_counter()
            e = await cur.post("/api/v1/applications/switch-end",
                               json={"spid": spid, "switch_date": s.json()["switch_date"]})
            delays.append(time.perf_counter() - t0)
            if e.status_code != 201 or e.json()["stage"] != "05":
                failures += 1

        async def worker(new: Retailer, cur: Retailer) -> None:
            while not queue.empty():
                await one(new, cur, queue.get_nowait())

        t0, cpu0 = time.monotonic(), cpu_seconds(procs)
        await asyncio.gather(*(worker(new, cur) for new, cur in pairs))
        elapsed, cpu1 = time.monotonic() - t0, cpu_seconds(procs)
        mixed = await mixed_workload(pairs, others, vacant, args) if args.mixed else None
        for new, cur in pairs:
            new.close()
            cur.close()
    finally:
        stop(procs)
    p50, p99 = percentiles([d * 1000 for d in delays])
    done = len(spids) - failures
    print(f"P2/P3 switching, {len(spids)} switches, {args.concurrency} in parallel, client on the same 2 cores")
    print(f"matching delay (second application sent → both at 05)  p50 {p50:6.1f} ms   p99 {p99:6.1f} ms"
          f"   original: up to 1,200,000 ms (20-minute batch)")
    print(f"complete switches (relay → OK → start + end → matched)  {done / elapsed:6.1f} /s   failures {failures}"
          f"   national peak ≈ 0.5 /s")
    per = {k: (cpu1[k] - cpu0[k]) * 1000 / max(done, 1) for k in cpu0}
    print("CPU per complete switch: " + ", ".join(f"{k} {v:.1f} ms" for k, v in per.items())
          + f"  (of {2000 * elapsed / max(done, 1):.1f} ms of 2 cores per switch)")
    if mixed:
        rate, p50, p99, by_kind, failures = mixed
        print(f"mixed applications (termination, removal, ampere, customer change, reconnection)  {rate:6.1f} /s"
              f"   one filing p50 {p50:6.1f} ms  p99 {p99:6.1f} ms   failures {failures}"
              f"   next to {done / elapsed:.1f} complete switches/s above (4 requests each)")
        print("   by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items())))


class Retailer:
    """One retailer's keep-alive connection to the hub (bench/rawclient.py: httpx would spend more CPU
    per request than the servers it measures, on the same two cores), answering like httpx's
    `status_code` and `json()`."""

    def __init__(self, ctx: ssl.SSLContext, port: int, token: str) -> None:
        self.conn = RawConnection("127.0.0.1", port, ctx, {"Authorization": f"Bearer {token}"})

    async def post(self, path: str, json: dict) -> Answer:
        return Answer(*await self.conn.post(path, _json.dumps(json, ensure_ascii=False).encode()))

    def close(self) -> None:
        self.conn.close()


class Answer:
    def __init__(self, status: int, body: bytes) -> None:
        self.status_code, self.body = status, body

    def json(self) -> dict:
        return _json.loads(self.body)


MIXED = (  # (kind, who files, body without spid) in rotation
    ("termination", "cur", {"remove_meter": False}),
    ("termination", "cur", {"remove_meter": True, "contact_name": "ベンチ 現地", "contact_phone": "03-0000-0000"}),
    ("ampere-change", "cur", {"contract_current": 60}),
    ("customer-change", "cur", {"customer_phone": "03-1111-2222"}),
    ("reconnection", "new", {"service_menu": "01", "capacity_method": "1", "contract_current": 30,
                             "customer_name_kana": "ベンチ ハナコ", "customer_name_kanji": "ベンチ 花子",
                             "customer_phone": "090-1111-2222", "consent": True}),
)


async def mixed_workload(pairs: list[tuple[Retailer, Retailer]], others: list[str], vacant: list[str],
                         args: argparse.Namespace) -> tuple[float, float, float, dict[str, int], int]:
    """File `args.mixed` applications of every other type; (applications/s, p50 ms, p99 ms, per kind, failures)."""
    points, moves = iter(others), iter(vacant)
    jobs: asyncio.Queue[tuple[str, str, dict]] = asyncio.Queue()
    for i in range(args.mixed):
        kind, who, body = MIXED[i % len(MIXED)]
        spid = next(moves, None) if kind == "reconnection" else next(points, None)
        if spid is not None:
            jobs.put_nowait((kind, who, {"spid": spid, **body}))
    latencies: list[float] = []
    by_kind: dict[str, int] = {}
    failures = 0

    async def worker(new: Retailer, cur: Retailer) -> None:
        nonlocal failures
        while not jobs.empty():
            kind, who, body = jobs.get_nowait()
            client = new if who == "new" else cur
            t = time.perf_counter()
            r = await client.post(f"/api/v1/applications/{kind}", json=body)
            latencies.append(time.perf_counter() - t)
            if r.status_code == 201:
                by_kind[kind] = by_kind.get(kind, 0) + 1
            else:
                failures += 1

    t0 = time.monotonic()
    await asyncio.gather(*(worker(new, cur) for new, cur in pairs))
    elapsed = time.monotonic() - t0
    p50, p99 = percentiles([d * 1000 for d in latencies])
    return sum(by_kind.values()) / elapsed, p50, p99, by_kind, failures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--switches", type=int, default=400)
    ap.add_argument("--mixed", type=int, default=1000, help="applications of the other types (0: none)")
    ap.add_argument("--concurrency", type=int, default=16)
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
