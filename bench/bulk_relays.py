"""P6: a bulk relay file of 10,000 rows validated and committed with its per-row report, next to
the same kind of rows sent one by one through `POST /api/v1/relays` in the same run.

Hub and area run as separate processes over mutual TLS on copies of a generated dataset. The file
(UTF-8 CSV, A0001 → M0300) goes up as multipart; the timings include upload, validation against
the area (batch lookups of ≤ 1,000), the single commit transaction and the JSON report (and the
CSV report, downloaded once more with Accept: text/csv). The one-by-one reference posts a sample
of `--sample` other points at `--concurrency` in parallel and extrapolates to the file's size.

    python bench/bulk_relays.py --points 200000 --rows 10000 --sample 500
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import ssl
import time

import httpx
import psycopg

from common import copy_databases, ensure_dataset, start_services, stop
from switchhub.db.urls import plain_url

HEADER = ["供給地点特定番号", "現小売事業者コード", "現小売との契約番号", "需要者名（カナ）", "需要者名（漢字）", "住所", "建物名",
          "スイッチング希望日", "担当者名", "担当者電話番号"]


def row(spid: str, i: int) -> dict[str, str]:
    return {"spid": spid, "current_retailer_code": "M0300", "contract_no": f"B-{i:06d}",
            "customer_name_kana": "ベンチ タロウ", "customer_name_kanji": "髙橋 太郎", "address": "東京都新宿区西新宿2-8-1",
            "building": "", "requested_switch_date": "2030-01-31", "contact_name": "ベンチ 花子",
            "contact_phone": "03-0000-0000"}


def csv_file(rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows([list(r.values()) for r in rows])
    return buf.getvalue().encode("utf-8")


async def run(args: argparse.Namespace) -> None:
    ensure_dataset(args.points)
    hub_url, area_url = copy_databases(args.points, "bench_bulk")
    with psycopg.connect(plain_url(area_url)) as conn:
        spids = [r[0] for r in conn.execute(
            "SELECT p.spid FROM supply_points p JOIN supply_periods s ON s.area = p.area AND s.spid = p.spid"
            " AND s.valid_to IS NULL WHERE s.retailer_code = 'M0300' AND p.contract_status = '1'"
            " ORDER BY md5(p.spid) LIMIT %s", (args.rows + args.sample,))]
    assert len(spids) == args.rows + args.sample, f"only {len(spids)} points of M0300 in the dataset"
    file_rows, sample = [row(s, i) for i, s in enumerate(spids[:args.rows])], spids[args.rows:]
    body = csv_file(file_rows)
    procs, info = start_services(hub_url, area_url, port=18700)
    try:
        c = info["clients"]["A0001"]
        ctx = ssl.create_default_context(cafile=info["ca"])
        ctx.load_cert_chain(c["cert"], c["key"])
        async with httpx.AsyncClient(base_url=info["base"], verify=ctx, timeout=600,
                                     headers={"Authorization": f"Bearer {c['token']}"},
                                     limits=httpx.Limits(max_connections=args.concurrency)) as client:
            def upload(**params: str) -> dict:
                return {"files": {"file": ("relays.csv", body, "text/csv")}, "params": params}

            t0 = time.perf_counter()
            dry = await client.post("/api/v1/relays:bulk", **upload(dry_run="true"))
            t_dry = time.perf_counter() - t0
            assert dry.status_code == 200 and dry.json()["ng_rows"] == 0, dry.text[:500]
            csv_report = await client.post("/api/v1/relays:bulk", headers={"accept": "text/csv"},
                                           **upload(dry_run="true"))
            assert csv_report.status_code == 200 and csv_report.content.startswith(b"\xef\xbb\xbf")
            t0 = time.perf_counter()
            done = await client.post("/api/v1/relays:bulk", **upload(dry_run="false", mode="all_or_nothing"))
            t_commit = time.perf_counter() - t0
            assert done.status_code == 200 and done.json()["committed_rows"] == args.rows, done.text[:500]
            numbers = {r["number"] for r in done.json()["results"]}
            assert len(numbers) == args.rows and None not in numbers

            failures = 0
            queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
            for i, s in enumerate(sample):
                queue.put_nowait((i, s))

            async def worker() -> None:
                nonlocal failures
                while not queue.empty():
                    i, s = queue.get_nowait()
                    r = await client.post("/api/v1/relays", json=row(s, 900_000 + i))
                    failures += r.status_code != 201

            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
            t_single = time.perf_counter() - t0
    finally:
        stop(procs)
    with psycopg.connect(plain_url(hub_url)) as conn:
        stored = conn.execute("SELECT count(*) FROM relays").fetchone()[0]
    per_row = t_single / len(sample)
    print(f"P6 bulk relay file, {args.rows:,} rows ({len(body):,} bytes, UTF-8), {args.points:,}-point dataset,"
          f" hub + area over mutual TLS, client on the same 2 cores")
    print(f"validate only (dry_run, JSON report)             {t_dry:6.2f} s   ({args.rows / t_dry:,.0f} rows/s)")
    print(f"validate + commit (one request, JSON report)     {t_commit:6.2f} s   ({args.rows / t_commit:,.0f} rows/s)"
          f"   target ≤ 10 s")
    print(f"upload → report → commit (both requests)         {t_dry + t_commit:6.2f} s")
    print(f"reference: one by one, POST /relays ×{len(sample)} at {args.concurrency} in parallel  {t_single:6.2f} s"
          f"   ({1 / per_row:,.0f} rows/s, failures {failures})")
    print(f"reference extrapolated to {args.rows:,} rows                {per_row * args.rows:6.1f} s"
          f"   bulk commit is {per_row * args.rows / t_commit:,.1f}× faster")
    print(f"relays stored: {stored:,} (expected {args.rows + len(sample) - failures:,})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=200_000)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--sample", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=16)
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
