"""The demo's background fill: 30-minute readings for ALL its smart points (issue 8).

`switchhub demo` generates half hours synchronously for a subset only (generate/readings.py:
`per_group` smart points per area and retailer), so that it serves within its first-run budget; a
full 100,000-point demo is ≈ 35 M point-days (23.9 GiB measured, docs/benchmarks.md P9). The rest is filled by the
area worker after the banner as keyed jobs `generate.readings_fill`, one per area × calendar month
(key `AREA:YYYY-MM`, payload: seed and the month's day range), so that:

* order: run_at is staggered newest month first (db/jobs runs by run_at), so the 13 months nearest
  today complete first, all areas of a month before the month before;
* bounded: one job = one area × one month = one transaction of set-based SQL (the generator's own
  day pool, INSERT … SELECT into the month's area leaf), no per-row Python;
* resumable and idempotent: a job not done is run again after a restart (its transaction rolled back
  with the shutdown); rows are inserted only for (point, day) pairs that are absent (anti-join plus
  ON CONFLICT DO NOTHING), so a day already present is never duplicated or changed; the values are
  those the generator gives the same (seed, spid, day), so a filled demo equals one generated whole;
* monthly totals: after month X the smart points that had no half hours in X before get their
  billing month X+1 (reading day in X … reading day in X+1, both filled by then) confirmed from the
  half hours by the area's own `confirm_month`, replacing the model's monthly-only value. Generated
  history is not a correction: such rows keep revision 1, and nothing enqueues metering rebuilds
  (only the ingest path calls metering.tasks.readings_changed). Files already built before the fill
  reached their day (in the demo: yesterday's past-day files, last month's monthly files) keep the
  subset they were built from; files built after see every point;
* capped: `readings_fill_loop` (worker.py) checks the size of readings_30min against
  SWITCHHUB_DEMO_READINGS_MAX_GB and the free disk against SWITCHHUB_DEMO_READINGS_MIN_FREE_GB before
  each job and stops with a logged message (jobs stay pending: a restart with a larger cap goes on).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db.jobs import enqueue
from switchhub.generate import readings as gen
from switchhub.kernel.spid import AREA_CODES

log = logging.getLogger("switchhub.readings_fill")
FILL_JOB = "generate.readings_fill"


def _bind(sql: str) -> str:
    """The generator's psycopg statement (%(name)s) as a SQLAlchemy text (:name): one formula."""
    return re.sub(r"%\((\w+)\)s", r"(:\1)", sql).replace("%%", "%")


# the generator's day pool and point classes, per transaction (the worker's connections are pooled)
_POOL_TABLE = text("CREATE TEMP TABLE gen_pool (m int, v int, c int, kwh text) ON COMMIT DROP")
_POOL_FILL = text(_bind(gen._POOL[1]))
_POOL_INDEX = text(gen._POOL[2])
_POINTS_TABLE = text(gen._POINTS[0])
_POINTS_FILL = text(_bind(gen._POINTS[1]))
# the points to fill: smart points without a half hour in the month yet (their monthly total is the
# model's); a point with some days (an ingest) keeps them and gets the missing ones
_FRESH_COLUMN = text("ALTER TABLE gen_points ADD COLUMN IF NOT EXISTS fresh boolean")
_FRESH = ("UPDATE gen_points p SET fresh = NOT EXISTS (SELECT 1 FROM {leaf} r"
          " WHERE r.area = CAST(:area AS varchar) AND r.spid = p.spid)")
_HALF_HOURS = _bind(gen._HALF_HOURS) + """
  AND NOT EXISTS (SELECT 1 FROM {leaf} r WHERE r.area = CAST((:area) AS varchar) AND r.spid = p.spid AND r.reading_date = d::date)
ON CONFLICT DO NOTHING"""
# billing month +1 of the fresh points from their half hours, as confirm_month computes it (sum of
# the period's slots, largest half hour × 2 kW, the contract's power factor: what a whole generation
# gives a half-hourly point), in place of the model's monthly-only row; revision stays 1. The dates
# are bounded to the two calendar months the period lies in, so only their leaves are read.
_MONTHLY = text("""UPDATE readings_monthly m SET kwh = t.kwh, max_demand_kw = t.max_kwh * 2,
       power_factor = t.power_factor, confirmed_at = now()
FROM (
    SELECT p.spid, min(sp.power_factor) AS power_factor, sum(d.total) AS kwh, max(d.peak) AS max_kwh,
           count(*) AS n_days, sum(d.n) AS n_slots, min(q.d_to - q.d_from) AS period_days
    FROM gen_points p
    JOIN supply_points sp ON sp.area = CAST(:area AS varchar) AND sp.spid = p.spid
    JOIN unnest(CAST(:codes AS text[]), CAST(:froms AS date[]), CAST(:tos AS date[])) AS q(code, d_from, d_to)
      ON q.code = p.code
    JOIN readings_30min r ON r.area = CAST(:area AS varchar) AND r.spid = p.spid
                         AND r.reading_date >= q.d_from AND r.reading_date < q.d_to
                         AND r.reading_date >= CAST(:lo AS date) AND r.reading_date < CAST(:hi AS date)
    CROSS JOIN LATERAL (SELECT sum(v) AS total, max(v) AS peak, count(v) AS n FROM unnest(readings_kwh(r.kwh)) v) d
    WHERE p.half_hourly AND p.fresh
    GROUP BY p.spid
) t
WHERE m.area = CAST(:area AS varchar) AND m.spid = t.spid AND m.billing_month = CAST(:month AS date)
  AND t.n_days = t.period_days AND t.n_slots = 48 * t.period_days""")


def _params(seed: int) -> dict[str, Any]:
    # per_group without a cap: every smart point is half-hourly
    return {"seed": seed, "per_group": 2**31 - 1, "variants": gen.VARIANTS, "scales": list(gen.SCALES),
            "shape": list(gen.SHAPE), "season": list(gen.SEASON)}


@dataclass(frozen=True)
class Filled:
    point_days: int
    monthly: int
    half_hour_seconds: float
    monthly_seconds: float


async def fill_area_month(conn: AsyncConnection, area: str, first: date, last: date, seed: int, today: date) -> Filled:
    """Half hours of every active smart point of `area` for the days first … last (one calendar
    month) that are not there yet; then billing month +1 of the points that had none, if it is one
    of the generator's billing months for `today`. Runs inside the caller's transaction."""
    from switchhub.area.readings.service import billing_periods

    args = {**_params(seed), "area": area}
    leaf = f"readings_30min_{first:%Y%m}_{area}"
    await conn.execute(text("SELECT readings_month_partition(CAST(:m AS date))"), {"m": first})
    await conn.execute(text("DROP TABLE IF EXISTS gen_pool"))
    for statement in (_POOL_TABLE, _POOL_FILL, _POOL_INDEX, _POINTS_TABLE):
        await conn.execute(statement, args)
    await conn.execute(text("DELETE FROM gen_points"))
    await conn.execute(_POINTS_FILL, args)
    await conn.execute(_FRESH_COLUMN)
    await conn.execute(text(_FRESH.format(leaf=leaf)), args)
    await conn.execute(text("ANALYZE gen_points"))
    t0 = time.monotonic()
    written = (await conn.execute(text(_HALF_HOURS.format(leaf=leaf)), {**args, "first": first, "last": last})).rowcount
    t1, monthly = time.monotonic(), 0
    month = gen._month_shift(first, 1)
    if month in gen.window(today)[2]:  # the billing months the generator confirms
        periods = billing_periods(area, month)
        monthly = (await conn.execute(_MONTHLY, {"area": area, "month": month, "lo": first, "hi": gen._month_shift(month, 1),
                                      "codes": [p[0] for p in periods], "froms": [p[1] for p in periods],
                                      "tos": [p[2] for p in periods]})).rowcount
    return Filled(written, monthly, t1 - t0, time.monotonic() - t1)


@dataclass(frozen=True)
class Chunk:
    area: str
    first: date
    last: date


def chunks(first: date, last: date, areas: tuple[str, ...] = AREA_CODES) -> list[Chunk]:
    """Area × calendar month of first … last, newest month first (areas in code order)."""
    return [Chunk(area, m0, m1) for m0, m1 in reversed(gen._months(first, last)) for area in areas]


async def enqueue_fill(conn: AsyncConnection, seed: int, now: datetime) -> int:
    """Schedule the fill of the half-hour window the generator wrote (from its first to its last
    day, read from the data), newest first. Once scheduled, a restart schedules nothing again (and
    does not scan a filled table for its window). Returns the chunks."""
    scheduled = (await conn.execute(text("SELECT count(*) FROM jobs WHERE kind = :kind"), {"kind": FILL_JOB})).scalar_one()
    if scheduled:
        return int(scheduled)
    row = (await conn.execute(text("SELECT min(reading_date), max(reading_date) FROM readings_30min"))).one()
    if row[0] is None:
        return 0
    todo = chunks(row[0], row[1])
    for i, c in enumerate(todo):
        await enqueue(conn, FILL_JOB, f"{c.area}:{c.first:%Y-%m}", now + timedelta(milliseconds=i),
                      {"seed": seed, "first": c.first.isoformat(), "last": c.last.isoformat(),
                       "today": (row[1] + timedelta(days=1)).isoformat()})
    return len(todo)


async def fill(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    """The job handler: one area × month."""
    area = payload["_key"].split(":")[0]
    first, last = date.fromisoformat(payload["first"]), date.fromisoformat(payload["last"])
    done = await fill_area_month(conn, area, first, last, int(payload["seed"]), date.fromisoformat(payload["today"]))
    seconds = done.half_hour_seconds + done.monthly_seconds
    log.info("30分値の補完 %s: %s 地点日 (%.1f 秒, %s 地点日/秒)、月間確定値 %s 件 (%.1f 秒)", payload["_key"],
             f"{done.point_days:,}", done.half_hour_seconds, f"{done.point_days / max(seconds, 1e-9):,.0f}",
             f"{done.monthly:,}", done.monthly_seconds)


HANDLERS = {FILL_JOB: fill}


@dataclass(frozen=True)
class Progress:
    done: int
    pending: int
    next_key: str | None
    readings_bytes: int

    def line(self) -> str:
        total = self.done + self.pending
        state = "完了" if not self.pending else f"次 {self.next_key}"
        return (f"30分値の補完: {self.done}/{total} エリア月 ({state})、"
                f"30分値テーブル {self.readings_bytes / 2**30:.1f} GiB")


_PROGRESS = text("""SELECT count(*) FILTER (WHERE done_at IS NOT NULL) AS done, count(*) FILTER (WHERE done_at IS NULL) AS pending,
       (SELECT key FROM jobs WHERE kind = :kind AND done_at IS NULL ORDER BY run_at, id LIMIT 1) AS next_key,
       (SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('readings_30min')) AS size
FROM jobs WHERE kind = :kind""")


async def progress(conn: AsyncConnection) -> Progress:
    row = (await conn.execute(_PROGRESS, {"kind": FILL_JOB})).one()
    return Progress(int(row.done), int(row.pending), row.next_key, int(row.size))


async def progress_of(area_url: str) -> Progress:
    """`switchhub readings fill-status`."""
    from switchhub.db.engine import make_engine

    engine = make_engine(area_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await progress(conn)
    finally:
        await engine.dispose()
