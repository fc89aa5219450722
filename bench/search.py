"""P5 (scaled): address search on N points next to a sequential scan of the same query.

Runs the area's own search service (same SQL as the API) for random real addresses, then
the same queries with index scans disabled.

    python bench/search.py --points 1000000 --queries 300
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time

from sqlalchemy import text

from common import ensure_dataset, percentiles
from switchhub.area.points.service import SearchQuery, build_where, search
from switchhub.db.engine import make_engine, search_reader
from switchhub.kernel.caller import Caller


async def run(args: argparse.Namespace) -> None:
    _, area_url = ensure_dataset(args.points)
    engine = make_engine(area_url, pool_size=2)
    caller = Caller("A0001", "retailer", frozenset({"03"}))
    async with engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT area, prefecture, city, town, block FROM supply_points TABLESAMPLE SYSTEM (1) LIMIT :n"),
            {"n": args.queries})).all()
    rng = random.Random(1)
    queries = []
    for r in rows:
        kind = rng.random()
        block = r.block.replace("丁目", "-").replace("番", "-").replace("号", "").split("-")[0] if kind < 0.5 else ""
        queries.append(SearchQuery(r.area.strip(), r.prefecture, r.city, r.town, block))

    async def timed(seq: bool) -> tuple[list[float], int]:
        lat, found = [], 0
        # a fresh engine per pass: asyncpg caches prepared plans per connection, and SET does not replan them
        eng = make_engine(area_url, pool_size=1)
        if not seq:  # the area's search engine: custom plans (db/engine.search_reader)
            eng = search_reader(eng, pool_size=1)
        async with eng.connect() as conn:
            if seq:
                for setting in ("enable_indexscan", "enable_bitmapscan", "enable_indexonlyscan"):
                    await conn.execute(text(f"SET {setting} = off"))
            for q in (queries if not seq else selective):
                t0 = time.perf_counter()
                if seq:  # the same predicate, answered by reading the table (no index, no early stop)
                    where, params, _ = build_where(q)
                    await conn.execute(text(f"SELECT count(*) FROM supply_points p WHERE {where}"), params)
                else:
                    res = await search(conn, caller, q, __import__("datetime").date.today(), offset=0, limit=20)
                    found += res["total"] > 0
                lat.append((time.perf_counter() - t0) * 1000)
            await conn.rollback()
        await eng.dispose()
        return lat, found

    # the reference scans for the most selective queries (with a block): a sequential scan must read the
    # whole area partition for them, while broad queries stop at the 101st match
    selective = [q for q in queries if q.block][: args.seq_queries]
    idx, found = await timed(False)
    seq, _ = await timed(True)
    await engine.dispose()
    p50, p99 = percentiles(idx)
    sel = [t for q, t in zip(queries, idx) if q in selective]
    i50, i99 = percentiles(sel)
    s50, s99 = percentiles(seq)
    print(f"P5 address search on {args.points:,} points ({len(idx)} queries, {found} with matches)")
    print(f"indexed search (service + SQL)   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   target p99 ≤ 100 ms")
    print(f"indexed, selective subset        p50 {i50:7.1f} ms   p99 {i99:7.1f} ms   ({len(sel)} queries)")
    print(f"sequential scan, same predicates    p50 {s50:7.1f} ms   p99 {s99:7.1f} ms   ({len(seq)} queries)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--seq-queries", type=int, default=20)
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
