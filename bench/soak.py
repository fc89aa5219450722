"""P7: server memory under a sustained mixed load — RSS of the hub, the area and the worker sampled
every minute for `--minutes`, next to the requests each minute served.

The load, all over mutual TLS through the hub, on copies of the 1 M dataset: facility lookups from
`--lookups` lean keep-alive connections (the P1 path); complete switches (relay → OK → start + end →
matched) from `--switchers` clients; filings of the other application types in rotation
(bench/switch_flow.py MIXED) from `--filers` clients. Points are used once each, so a long soak
needs enough of them (`--switch-points`, `--filing-points`). The worker runs alongside (outbox,
deadlines, matching sweep), as in a deployment.

Target (targets.md P7): ≤ 500 MB RSS per server process, flat over 30 minutes (growth < 10 % from
the end of the first minute, when pools, plans and caches have filled, to the last minute).

    python bench/soak.py --points 1000000 --minutes 30
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import ssl
import subprocess
import sys
import time

import httpx
import psutil
import psycopg
from common import BENCH_DIR, ROOT, copy_databases, ensure_dataset, start_services, stop
from rawclient import RawConnection
from switch_flow import FILEABLE, MIXED

from switchhub.db.urls import plain_url

RELAY = {"current_retailer_code": "M0300", "contract_no": "B-1", "customer_name_kana": "ベンチ タロウ",
         "customer_name_kanji": "ベンチ 太郎", "address": "東京都", "requested_switch_date": "2030-01-31",
         "contact_name": "ベンチ", "contact_phone": "03-0000-0000"}
START = {"service_menu": "01", "capacity_method": "1", "contract_current": 30, "customer_name_kana": "ベンチ タロウ",
         "customer_name_kanji": "ベンチ 太郎", "customer_phone": "090-0000-0000", "consent": True}


def points(area_url: str, args: argparse.Namespace) -> tuple[list[str], list[str], list[str], list[str]]:
    """(lookup ids, switch points, filing points, vacant points), disjoint where they are changed."""
    with psycopg.connect(plain_url(area_url)) as conn:
        eligible = [r[0] for r in conn.execute(FILEABLE, ("soak", args.switch_points + args.filing_points))]
        vacant = [r[0] for r in conn.execute(
            "SELECT spid FROM supply_points WHERE area = '03' AND contract_status = '2' AND channel = 'low'"
            " ORDER BY md5(spid) LIMIT %s", (args.filing_points // 5 + 1,))]
        lookups = [r[0] for r in conn.execute(
            "SELECT spid FROM supply_periods WHERE retailer_code = 'M0300' AND valid_to IS NULL"
            " ORDER BY md5(spid || 'soak') LIMIT 20000")]
    random.Random(7).shuffle(lookups)
    return lookups, eligible[:args.switch_points], eligible[args.switch_points:], vacant


class Counts:
    def __init__(self) -> None:
        self.ok = {"lookup": 0, "switch": 0, "filing": 0}
        self.errors = {"lookup": 0, "switch": 0, "filing": 0}

        self.causes: dict[str, int] = {}

    def add(self, kind: str, ok: bool, cause: object = None) -> None:
        (self.ok if ok else self.errors)[kind] += 1
        if not ok:
            key = f"{kind}: {cause if isinstance(cause, int) else type(cause).__name__}"
            self.causes[key] = self.causes.get(key, 0) + 1


async def soak(args: argparse.Namespace) -> None:
    ensure_dataset(args.points)
    hub_url, area_url = copy_databases(args.points, "bench_soak")
    lookups, switch_points, filing_points, vacant = points(area_url, args)
    procs, info = start_services(hub_url, area_url, port=18700)
    env = {**os.environ, "SWITCHHUB_DATA_DIR": str(BENCH_DIR / "data"), "SWITCHHUB_HUB_DATABASE_URL": hub_url,
           "SWITCHHUB_AREA_DATABASE_URL": area_url, "SWITCHHUB_METRICS_PORT": "0",
           "SWITCHHUB_PUBLIC_HUB_URL": info["base"].replace("127.0.0.1", "localhost"), "PYTHONPATH": str(ROOT / "src")}
    worker = subprocess.Popen([sys.executable, "-m", "switchhub.cli", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    counts = Counts()
    deadline = time.monotonic() + args.minutes * 60
    try:
        ca = info["ca"]

        def tls(code: str) -> ssl.SSLContext:
            ctx = ssl.create_default_context(cafile=ca)
            ctx.load_cert_chain(info["clients"][code]["cert"], info["clients"][code]["key"])
            return ctx

        def client(code: str, n: int) -> httpx.AsyncClient:
            return httpx.AsyncClient(base_url=info["base"], verify=tls(code), timeout=60,
                                     headers={"Authorization": f"Bearer {info['clients'][code]['token']}"},
                                     limits=httpx.Limits(max_connections=n))

        new, cur = client("A0001", args.switchers + args.filers), client("M0300", args.switchers + args.filers)
        hub_port = int(info["base"].rsplit(":", 1)[1])
        token = info["clients"]["M0300"]["token"]

        async def lookup_loop(k: int) -> None:
            conn = RawConnection("127.0.0.1", hub_port, tls("M0300"), {"Authorization": f"Bearer {token}"})
            i = k
            try:
                while time.monotonic() < deadline:
                    try:
                        status, body = await conn.get(f"/api/v1/supply-points/{lookups[i % len(lookups)]}")
                        counts.add("lookup", status == 200 and b"customer_name_kanji" in body)
                    except (OSError, asyncio.IncompleteReadError) as exc:  # counted, and a new connection
                        counts.add("lookup", False, exc)
                        conn.close()
                        conn = RawConnection("127.0.0.1", hub_port, tls("M0300"), {"Authorization": f"Bearer {token}"})
                    i += args.lookups
            finally:
                conn.close()

        switch_queue = list(reversed(switch_points))

        async def switch_loop() -> None:
            while time.monotonic() < deadline and switch_queue:
                try:
                    await switch(switch_queue.pop())
                except httpx.HTTPError as exc:  # counted (a failure of the path), the soak goes on
                    counts.add("switch", False, exc)

        async def switch(spid: str) -> None:
            r = await new.post("/api/v1/relays", json={"spid": spid, **RELAY})
            if r.status_code != 201:
                counts.add("switch", False, r.status_code)
                return
            relay_no = r.json()["relay_no"]
            await cur.post(f"/api/v1/relays/{relay_no}/decision", json={"decision": "01", "staff_name": "ベンチ"})
            s = await new.post("/api/v1/applications/switch-start", json={"spid": spid, **START, "relay_no": relay_no})
            if s.status_code != 201:
                counts.add("switch", False, s.status_code)
                return
            e = await cur.post("/api/v1/applications/switch-end",
                               json={"spid": spid, "switch_date": s.json()["switch_date"]})
            counts.add("switch", e.status_code == 201 and e.json()["stage"] == "05", e.status_code)

        filing_iter, vacant_iter = iter(filing_points), iter(vacant)
        rotation = [0]

        async def filing_loop() -> None:
            while time.monotonic() < deadline:
                kind, who, body = MIXED[rotation[0] % len(MIXED)]
                rotation[0] += 1
                spid = next(vacant_iter, None) if kind == "reconnection" else next(filing_iter, None)
                if spid is None:
                    if kind != "reconnection":
                        return  # the filing points are used up
                    continue
                try:
                    r = await (new if who == "new" else cur).post(f"/api/v1/applications/{kind}",
                                                                  json={"spid": spid, **body})
                    counts.add("filing", r.status_code == 201, r.status_code)
                except httpx.HTTPError as exc:
                    counts.add("filing", False, exc)

        watched = {"hub": psutil.Process(procs[1].pid), "area": psutil.Process(procs[0].pid),
                   "worker": psutil.Process(worker.pid)}
        samples: list[tuple[int, dict[str, int], dict[str, int], dict[str, float]]] = []

        async def sampler() -> None:
            minute = 0
            last, since = dict(counts.ok), time.monotonic()
            while time.monotonic() < deadline - 1:
                await asyncio.sleep(min(60, max(0.5, deadline - time.monotonic() - 0.5)))
                minute += 1
                now = time.monotonic()
                done = {k: (v - last[k]) * 60 / (now - since) for k, v in counts.ok.items()}  # per minute
                last, since = dict(counts.ok), now
                rss = {k: p.memory_info().rss / 1e6 for k, p in watched.items()}
                samples.append((minute, done, dict(counts.errors), rss))
                print(f"minute {minute:3d}  lookups {done['lookup'] / 60:7.1f}/s  switches {done['switch'] / 60:5.1f}/s"
                      f"  filings {done['filing'] / 60:5.1f}/s  errors {sum(counts.errors.values()):4d}  RSS hub"
                      f" {rss['hub']:6.1f} MB  area {rss['area']:6.1f} MB  worker {rss['worker']:6.1f} MB", flush=True)

        await asyncio.gather(sampler(), *(lookup_loop(k) for k in range(args.lookups)),
                             *(switch_loop() for _ in range(args.switchers)),
                             *(filing_loop() for _ in range(args.filers)))
        await new.aclose()
        await cur.aclose()
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        stop(procs)
    if len(samples) >= 2:
        first, last = samples[0][3], samples[-1][3]
        peak = {k: max(s[3][k] for s in samples) for k in first}
        print(f"P7 soak, {args.minutes} min, {args.points:,} points: served {counts.ok}, errors {counts.errors}"
              f" {counts.causes}")
        for k in first:
            print(f"  {k:6}  RSS after minute 1 {first[k]:6.1f} MB, last {last[k]:6.1f} MB"
                  f" ({(last[k] - first[k]) / first[k]:+.1%}), peak {peak[k]:6.1f} MB   target ≤ 500 MB, growth < 10 %")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--lookups", type=int, default=16, help="lookup connections")
    ap.add_argument("--switchers", type=int, default=2)
    ap.add_argument("--filers", type=int, default=2)
    ap.add_argument("--switch-points", type=int, default=20000)
    ap.add_argument("--filing-points", type=int, default=20000)
    asyncio.run(soak(ap.parse_args()))


if __name__ == "__main__":
    main()
