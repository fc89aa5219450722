"""Meter readings for the generated points, deterministic from the seed (issue 8).

* Smart points (a meter with `interval_collectable`) get 48 half hours a day from the first day of
  the month 14 months back up to yesterday (JST): 13 full billing months need the reading day of
  the month before them. A half hour = the point's scale × a daily shape (night low, morning and
  evening peaks) × a seasonal factor of the calendar month (summer and winter high) × noise.
  The monthly confirmed totals of these points are then computed from them, set-based in SQL, by
  the area service's `confirm_month` — the same code a real area system runs.
* The other active points (and the smart points beyond the half-hourly cap, below) get monthly
  confirmed totals only, from the same model: scale × mean shape × season × days of the period.

Cost: generated inside the database (INSERT … SELECT straight into the (month, area) leaf), not
streamed from Python — 48 numeric values a point-day as COPY text cost more to format than to
compute. To keep that cheap, the noisy days come from a pool: per calendar month, 16 day variants
× 14 scale classes of 48-slot arrays; a point has a class (hash of seed and spid), a day picks its
variant (hash of seed, spid and date). Half-hourly series are written for at most `per_group`
smart points per (area, current retailer), lowest spid first — the demo's sample points and every
retailer's first points have them; a full 100,000-point demo series would be 36 M point-days
(≈ 24 GiB, docs/scaling.md), far past the demo's first-run budget: the demo's worker fills the rest
after the banner (generate/readings_fill.py, with these same statements).
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

import psycopg

from switchhub.db.urls import plain_url
from switchhub.kernel.clock import get_clock
from switchhub.kernel.spid import AREA_CODES

# kWh share of each half hour of a day (slot 1 = 0:00–0:30): night low, 7–9 h and 18–22 h peaks
SHAPE = (0.55, 0.5, 0.45, 0.4, 0.35, 0.33, 0.32, 0.32, 0.33, 0.35, 0.4, 0.5, 0.7, 0.95, 1.2, 1.25, 1.15, 1.0,
         0.85, 0.75, 0.7, 0.68, 0.68, 0.7, 0.72, 0.7, 0.68, 0.68, 0.7, 0.75, 0.8, 0.9, 1.05, 1.25, 1.45, 1.6,
         1.7, 1.72, 1.68, 1.6, 1.5, 1.38, 1.25, 1.1, 0.95, 0.82, 0.7, 0.6)
# by calendar month: heating in winter, cooling in summer, low in spring and autumn
SEASON = (1.25, 1.2, 1.05, 0.9, 0.85, 0.95, 1.15, 1.3, 1.1, 0.9, 0.95, 1.15)
# kWh per half hour at shape 1: 12 household classes (≈ 3–16 kWh a day), 2 high-voltage classes
SCALES = tuple(round(0.06 * 1.17 ** c, 4) for c in range(12)) + (12.0, 30.0)
VARIANTS = 16
PER_GROUP = 10

# (utility statements take no bind parameters: the temp tables are created, then filled)
_POINTS = ("""CREATE TEMP TABLE IF NOT EXISTS gen_points (spid varchar(22), code text, channel text, c int,
half_hourly boolean) ON COMMIT DELETE ROWS""", """
INSERT INTO gen_points
WITH pts AS (
    SELECT p.spid::varchar(22) AS spid, p.reading_day_code::text AS code, p.channel, s.retailer_code,
           p.meters @> '[{"interval_collectable": true}]' AS smart,
           CASE WHEN p.channel = 'high' THEN 12 + (hashtextextended(p.spid, %(seed)s) & 1)
                ELSE (hashtextextended(p.spid, %(seed)s) & 65535) %% 12 END AS c
    FROM supply_points p
    LEFT JOIN supply_periods s ON s.area = p.area AND s.spid = p.spid AND s.valid_to IS NULL
    WHERE p.area = %(area)s AND p.contract_status NOT IN ('2', '3')
)
SELECT spid, code, channel, c,
       smart AND row_number() OVER (PARTITION BY smart, retailer_code ORDER BY spid) <= %(per_group)s AS half_hourly
FROM pts
""")

# the pool's days hold the stored form (area 0013): numeric(10,4) values as text, comma-separated
_POOL = ("CREATE TEMP TABLE gen_pool (m int, v int, c int, kwh text)", """
INSERT INTO gen_pool
SELECT m, v, c, array_to_string(ARRAY(
    SELECT round(((%(scales)s::float8[])[c + 1] * (%(shape)s::float8[])[g] * (%(season)s::float8[])[m]
                  * (0.75 + 0.5 * ((hashint8extended(g + 48 * (v + 16 * (c + 14 * m)), %(seed)s) & 65535) / 65536.0))
                 )::numeric, 4) FROM generate_series(1, 48) g)::numeric(10,4)[], ',', '') AS kwh
FROM generate_series(1, 12) m, generate_series(0, %(variants)s - 1) v, generate_series(0, 13) c
""", "CREATE INDEX ON gen_pool (m, c, v)")

_HALF_HOURS = """
INSERT INTO {leaf} (area, spid, reading_date, kwh, status)
SELECT %(area)s, p.spid, d::date, q.kwh, array_fill(0::smallint, ARRAY[48])
FROM gen_points p CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 day') d
JOIN gen_pool q ON q.m = extract(month FROM d)::int AND q.c = p.c
               AND q.v = hashtextextended(p.spid || d::date::text, %(seed)s) & (%(variants)s - 1)
WHERE p.half_hourly
"""

# monthly totals of the points without half hours: the model's mean over the period, whole kWh
# (a monthly meter reads whole kWh); high-voltage points also have a demand meter and a power factor
_MONTHLY_ONLY = """
INSERT INTO readings_monthly (area, spid, billing_month, kwh, max_demand_kw, power_factor, next_reading_date)
SELECT %(area)s, p.spid, q.month,
       round((%(scales)s::float8[])[p.c + 1] * %(mean_shape)s * (%(season)s::float8[])[extract(month FROM q.d_to - 1)::int]
             * (q.d_to - q.d_from) * 48
             * (0.9 + 0.2 * ((hashtextextended(p.spid || q.month, %(seed)s) & 65535) / 65536.0)))::numeric,
       CASE WHEN p.channel = 'high' THEN round(((%(scales)s::float8[])[p.c + 1] * 2 * 1.9
             * (0.9 + 0.2 * ((hashtextextended(p.spid || 'kW' || q.month, %(seed)s) & 65535) / 65536.0)))::numeric, 1) END,
       CASE WHEN p.channel = 'high' THEN 85 + (hashtextextended(p.spid, %(seed)s) & 15)::int END,
       q.d_next
FROM gen_points p
JOIN unnest(%(months)s::date[], %(codes)s::text[], %(froms)s::date[], %(tos)s::date[], %(nexts)s::date[])
     AS q(month, code, d_from, d_to, d_next)
  ON q.code = p.code
WHERE NOT p.half_hourly AND q.d_to <= %(today)s
"""


@dataclass
class ReadingsResult:
    half_hourly_points: int
    point_days: int
    monthly_rows: int
    seconds: float


# A few curtailment / interruption events (the source of the form C02 制限中止割引) for the demo: the
# first CURTAILED_PER_AREA active measured-demand (実量制) points of every area get one event in each of
# the two calendar months before this one; day, start (13:00–16:30), length (1–3 h) and kind from
# hashes of the seed and the point, so the same seed gives the same events.
CURTAILED_PER_AREA = 3
_CURTAILMENT = """
INSERT INTO curtailment_events (area, spid, kind, starts_at, ends_at, reason, discount_rate, ingested_at)
SELECT p.area, p.spid, e.kind, e.t0, e.t0 + e.len * interval '30 minutes',
       CASE e.kind WHEN '中止' THEN '配電線工事' ELSE '需給ひっ迫' END,
       CASE e.kind WHEN '中止' THEN 20.00 ELSE 10.00 END, now()
FROM (SELECT area, spid, row_number() OVER (PARTITION BY area ORDER BY spid) AS n FROM supply_points
      WHERE capacity_method = '3' AND contract_status = '1') p
CROSS JOIN unnest(CAST(%(months)s AS date[])) AS m(first)
CROSS JOIN LATERAL (SELECT %(seed)s::text || ':' || p.spid || ':' || m.first AS h) k
CROSS JOIN LATERAL (
    SELECT ((m.first + (abs(hashtext(k.h || 'd')::bigint) %% 25)::int)::timestamp
            + (26 + abs(hashtext(k.h || 's')::bigint) %% 8) * interval '30 minutes') AT TIME ZONE 'Asia/Tokyo' AS t0,
           2 + abs(hashtext(k.h || 'l')::bigint) %% 5 AS len,
           CASE WHEN abs(hashtext(k.h || 'k')::bigint) %% 4 = 0 THEN '中止' ELSE '制限' END AS kind) e
WHERE p.n <= %(per_area)s
"""


def _month_shift(month: date, n: int) -> date:
    m = month.year * 12 + month.month - 1 + n
    return date(m // 12, m % 12 + 1, 1)


def window(today: date) -> tuple[date, date, list[date]]:
    """(first day with half hours, yesterday, billing months to confirm) for `today` (JST)."""
    this_month = today.replace(day=1)
    first = _month_shift(this_month, -14)
    return first, today - timedelta(days=1), [_month_shift(this_month, n) for n in range(-13, 1)]


def _months(first: date, last: date) -> list[tuple[date, date]]:
    out, m = [], first
    while m <= last:
        nxt = _month_shift(m, 1)
        out.append((m, min(last, nxt - timedelta(days=1))))
        m = nxt
    return out


def _areas(area_url: str, areas: list[str], seed: int, today: date, per_group: int) -> tuple[int, int, int]:
    """One connection (one server core) for a share of the areas; the day pool is built once."""
    from switchhub.area.readings.service import billing_periods

    first, last, months = window(today)
    common = {"seed": seed, "per_group": per_group, "variants": VARIANTS, "scales": list(SCALES),
              "shape": list(SHAPE), "season": list(SEASON), "mean_shape": sum(SHAPE) / len(SHAPE), "today": today}
    points = days = monthly = 0
    with psycopg.connect(plain_url(area_url)) as conn:
        for statement in _POOL:
            conn.execute(statement, common if "%(" in statement else None)
        conn.execute(_POINTS[0])
        conn.commit()
        for area in areas:
            args = {**common, "area": area}
            conn.execute(_POINTS[1], args)
            conn.execute("ANALYZE gen_points")
            points += conn.execute("SELECT count(*) FROM gen_points WHERE half_hourly").fetchone()[0]
            for m0, m1 in _months(first, last):
                leaf = f"readings_30min_{m0:%Y%m}_{area}"
                days += conn.execute(_HALF_HOURS.format(leaf=leaf), {**args, "first": m0, "last": m1}).rowcount
            periods = [(month, *p) for month in months for p in billing_periods(area, month)]
            monthly += conn.execute(_MONTHLY_ONLY, {**args, **{
                k: [p[i] for p in periods] for i, k in enumerate(("months", "codes", "froms", "tos", "nexts"))}}).rowcount
            conn.commit()
    return points, days, monthly


async def _confirm_all(area_url: str, today: date) -> int:
    from switchhub.area.readings.service import confirm_month
    from switchhub.db.engine import make_engine

    engine = make_engine(area_url, pool_size=2, max_overflow=0)
    gate = asyncio.Semaphore(2)

    async def one(area: str) -> int:
        async with gate, engine.begin() as conn:
            return sum([(await confirm_month(conn, area, month)).points for month in window(today)[2]])

    try:
        return sum(await asyncio.gather(*(one(a) for a in AREA_CODES)))
    finally:
        await engine.dispose()


def generate_readings(area_url: str, seed: int, *, today: date | None = None,
                      per_group: int = PER_GROUP) -> ReadingsResult:
    """Replace all readings (and the curtailment events, _CURTAILMENT) with the generated ones for the
    area database's points."""
    t0 = time.monotonic()
    today = today or get_clock().today()
    first, last, _ = window(today)
    with psycopg.connect(plain_url(area_url), autocommit=True) as conn:
        if conn.execute("SELECT EXISTS (SELECT FROM readings_30min) OR EXISTS (SELECT FROM readings_monthly)").fetchone()[0]:
            conn.execute("TRUNCATE readings_30min, readings_monthly")  # ≈ 2 s for 170 partitions: only if needed
        conn.execute("SELECT readings_month_partition(m) FROM unnest(%s::date[]) m",
                     ([m for m, _ in _months(first, last)],))
    shares = [AREA_CODES[0::2], AREA_CODES[1::2]]
    with ThreadPoolExecutor(2) as pool:  # psycopg waits without the GIL: one server backend per core
        done = list(pool.map(lambda areas: _areas(area_url, list(areas), seed, today, per_group), shares))
    confirmed = asyncio.run(_confirm_all(area_url, today))
    with psycopg.connect(plain_url(area_url), autocommit=True) as conn:
        conn.execute("ANALYZE readings_monthly")  # the 160 half-hour leaves: autovacuum (each ≈ 10 ms)
        conn.execute("DELETE FROM curtailment_events")
        this_month = today.replace(day=1)
        conn.execute(_CURTAILMENT, {"seed": seed, "per_area": CURTAILED_PER_AREA,
                                    "months": [_month_shift(this_month, -2), _month_shift(this_month, -1)]})
    return ReadingsResult(sum(d[0] for d in done), sum(d[1] for d in done), sum(d[2] for d in done) + confirmed,
                          time.monotonic() - t0)
