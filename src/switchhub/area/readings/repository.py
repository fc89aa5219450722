"""All SQL of the meter readings: the staging of an ingest, its SQL checks, month partitions, the
per-day merge (from the staging table or from arrays)."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_PARTITIONS = text("SELECT readings_month_partition(m) FROM unnest(CAST(:months AS date[])) m")

# One statement per batch of point-days: `before` sees the rows as they were when the statement
# started, so the answer counts the days whose revision the merge raised. A slot the batch carries
# replaces the stored one; a slot it does not carry (NULL) keeps the stored one; the revision rises
# when a slot that already had a value gets a different value or status.
# The stored kWh is one text of 48 fields (area 0013), each as numeric(10,4) prints it: the fields
# compare as texts (equal texts, equal values) and only the batch's own arrays are numeric.
_FIELDS = "string_to_array({}, ',', '')"
_CHANGED = f"""(SELECT count(*) FILTER (WHERE o IS NOT NULL AND n IS NOT NULL AND (o <> n OR os IS DISTINCT FROM ns)) > 0
              FROM unnest({_FIELDS.format('r.kwh')}, {_FIELDS.format('EXCLUDED.kwh')}, r.status, EXCLUDED.status)
                   AS u(o, n, os, ns))"""
_MERGE_INTO = f"""
WITH input AS ({{input}}
), before AS (
    SELECT r.spid, r.reading_date, r.revision FROM readings_30min r
    JOIN input i ON r.area = :area AND r.spid = i.spid AND r.reading_date = i.reading_date
), merged AS (
    INSERT INTO readings_30min AS r (area, spid, reading_date, kwh, status)
    SELECT :area, spid, reading_date, array_to_string(kwh, ',', ''), status FROM input
    ON CONFLICT (area, spid, reading_date) DO UPDATE SET
        kwh = (SELECT array_to_string(array_agg(COALESCE(n, o) ORDER BY i), ',', '')
               FROM unnest({_FIELDS.format('r.kwh')}, {_FIELDS.format('EXCLUDED.kwh')}) WITH ORDINALITY AS u(o, n, i)),
        status = (SELECT array_agg(CASE WHEN n IS NULL THEN os ELSE ns END ORDER BY i)
                  FROM unnest(r.status, EXCLUDED.status, {_FIELDS.format('EXCLUDED.kwh')})
                       WITH ORDINALITY AS u(os, ns, n, i)),
        revision = r.revision + {_CHANGED}::int,
        revised_at = CASE WHEN {_CHANGED} THEN now() ELSE r.revised_at END,
        received_at = now()
    RETURNING r.spid, r.reading_date, r.revision
)
SELECT count(*) AS days, count(*) FILTER (WHERE m.revision > b.revision) AS revised
FROM merged m LEFT JOIN before b USING (spid, reading_date)
"""
_MERGE = text(_MERGE_INTO.format(input="""
    SELECT s AS spid, d AS reading_date, k::numeric(10,4)[] AS kwh, st::smallint[] AS status
    FROM unnest(CAST(:spids AS varchar[]), CAST(:days AS date[]), CAST(:kwh AS text[]),
                CAST(:status AS text[])) AS u(s, d, k, st)"""))
_MERGE_STAGED = text(_MERGE_INTO.format(input="""
    SELECT spid::varchar(22) AS spid, reading_date, kwh, status FROM readings_staging_days"""))

# -- the streaming ingest: rows COPYed into a transaction-local table, checked and grouped in SQL --
STAGING_COLUMNS = ("row_no", "spid", "reading_date", "slot", "kwh", "status")
_STAGING = (text("DROP TABLE IF EXISTS pg_temp.readings_staging, pg_temp.readings_staging_days"), text("""
CREATE TEMP TABLE readings_staging (
    row_no integer NOT NULL, spid char(22) NOT NULL, reading_date date NOT NULL, slot smallint NOT NULL,
    kwh numeric(10,4) NOT NULL, status smallint NOT NULL
) ON COMMIT DROP"""))

# One pass over the rows: per point-day the 48-slot arrays (a full day straight from the ordered
# aggregate, a partial one spread over its positions) and, to find duplicates without a second sort,
# the number of rows against the number of distinct slots (bits of a 64-bit mask).
_ARRAY = """CASE WHEN count(*) = 48 THEN array_agg({col} ORDER BY slot) ELSE
    (SELECT array_agg(u.v ORDER BY g) FROM generate_series(1, 48) g
     LEFT JOIN unnest(array_agg(slot), array_agg({col})) AS u(s, v) ON u.s = g) END"""
_STAGE_DAYS = (text("ANALYZE readings_staging"), text(f"""
CREATE TEMP TABLE readings_staging_days ON COMMIT DROP AS
SELECT spid, reading_date, count(*) AS n_rows, bit_count(bit_or(1::bigint << slot)::bit(64)) AS n_slots,
       {_ARRAY.format(col="kwh")} AS kwh, {_ARRAY.format(col="status")} AS status
FROM readings_staging GROUP BY spid, reading_date"""), text("ANALYZE readings_staging_days"))

# Unknown points and points of another area, per row, first :limit by row with the total.
_POINT_PROBLEMS = text("""
WITH bad AS (
    SELECT d.spid, min(p.area) AS found
    FROM (SELECT DISTINCT spid FROM readings_staging_days) d
    LEFT JOIN supply_points p ON p.spid = d.spid
    GROUP BY d.spid HAVING NOT coalesce(bool_or(p.area = :area), false)
)
SELECT s.row_no, coalesce(b.found, CASE WHEN left(s.spid, 2) <> :area THEN left(s.spid, 2) END) AS found,
       count(*) OVER () AS total
FROM readings_staging s JOIN bad b USING (spid) ORDER BY s.row_no LIMIT :limit
""")

_HAS_DUPLICATES = text("SELECT EXISTS (SELECT 1 FROM readings_staging_days WHERE n_rows > n_slots)")
_DUPLICATES = text("""
SELECT row_no, first_row, count(*) OVER () AS total FROM (
    SELECT s.row_no, min(s.row_no) OVER (PARTITION BY s.spid, s.reading_date, s.slot) AS first_row
    FROM readings_staging s JOIN readings_staging_days d USING (spid, reading_date)
    WHERE d.n_rows > d.n_slots
) x WHERE row_no > first_row ORDER BY row_no LIMIT :limit
""")
_STAGED_MONTHS = text("SELECT DISTINCT date_trunc('month', reading_date)::date FROM readings_staging_days")
_STAGED_DATES = text("SELECT DISTINCT reading_date FROM readings_staging_days ORDER BY 1")
_STAGED_DAY_SLOTS = text("SELECT DISTINCT reading_date, slot FROM readings_staging"
                         " WHERE reading_date = ANY(CAST(:days AS date[])) ORDER BY 1, 2")
_STAGED_POINT_DAYS = text("SELECT spid::varchar(22) AS spid, reading_date FROM readings_staging_days"
                          " WHERE reading_date = ANY(CAST(:days AS date[]))")


async def _driver(conn: AsyncConnection):
    """The asyncpg connection under the SQLAlchemy one, for COPY. SQLAlchemy begins its transaction
    on its first statement, so COPY always follows one (create_staging) and runs inside it."""
    raw = await conn.get_raw_connection()
    return raw.driver_connection


async def create_staging(conn: AsyncConnection) -> None:
    for statement in _STAGING:
        await conn.execute(statement)


async def copy_staging(conn: AsyncConnection, lines: list[str]) -> None:
    """COPY (text format) of checked rows: digits, ISO dates and plain decimals, nothing to escape."""
    await (await _driver(conn)).copy_to_table("readings_staging", source=io.BytesIO("".join(lines).encode()),
                                              columns=STAGING_COLUMNS, format="text")


async def stage_days(conn: AsyncConnection) -> None:
    for statement in _STAGE_DAYS:
        await conn.execute(statement)


async def staged_point_problems(conn: AsyncConnection, area: str, limit: int) -> tuple[list[tuple[int, str | None]], int]:
    """(row, area the point belongs to or None if unknown) for the first `limit` rows, and the total."""
    rows = (await conn.execute(_POINT_PROBLEMS, {"area": area, "limit": limit})).all()
    return [(r.row_no, r.found) for r in rows], (rows[0].total if rows else 0)


async def staged_duplicates(conn: AsyncConnection, limit: int) -> tuple[list[tuple[int, int]], int]:
    """(row, first row with the same point, date and slot) for the first `limit` repeats, and the total."""
    if not (await conn.execute(_HAS_DUPLICATES)).scalar():
        return [], 0
    rows = (await conn.execute(_DUPLICATES, {"limit": limit})).all()
    return [(r.row_no, r.first_row) for r in rows], (rows[0].total if rows else 0)


async def staged_dates(conn: AsyncConnection) -> list[date]:
    """The reading dates of the staged rows (their metering files are rebuilt)."""
    return list((await conn.execute(_STAGED_DATES)).scalars())


async def staged_point_days(conn: AsyncConnection, days: list[date]) -> list[tuple[str, date]]:
    """The staged (spid, day) pairs of `days` (the points whose metering files a correction rebuilds)."""
    return [(r.spid, r.reading_date) for r in await conn.execute(_STAGED_POINT_DAYS, {"days": days})]


async def staged_day_slots(conn: AsyncConnection, days: list[date]) -> list[tuple[date, int]]:
    """The staged (day, slot) pairs of `days` (the today files a late or corrected slot rebuilds)."""
    return [(r.reading_date, r.slot) for r in await conn.execute(_STAGED_DAY_SLOTS, {"days": days})]


async def staged_months(conn: AsyncConnection) -> list[date]:
    return list((await conn.execute(_STAGED_MONTHS)).scalars())


async def merge_staged(conn: AsyncConnection, area: str) -> tuple[int, int]:
    """Merge the staged point-days into readings_30min (set-based, the revision rule of merge_days)."""
    row = (await conn.execute(_MERGE_STAGED, {"area": area})).one()
    return int(row.days), int(row.revised)


async def ensure_month_partitions(conn: AsyncConnection, months: list[date]) -> None:
    """Create the month partitions the ingested days need (no-op for existing ones)."""
    await conn.execute(_PARTITIONS, {"months": months})


def _literal(values: list) -> str:
    return "{" + ",".join("NULL" if v is None else format(v, "f") if not isinstance(v, int) else str(v)
                          for v in values) + "}"


async def merge_days(conn: AsyncConnection, area: str,
                     days: list[tuple[str, date, list, list]]) -> tuple[int, int]:
    """Merge (spid, day, 48 kWh or None, 48 status or None) into the stored days: (days, revised days)."""
    row = (await conn.execute(_MERGE, {
        "area": area, "spids": [d[0] for d in days], "days": [d[1] for d in days],
        "kwh": [_literal(d[2]) for d in days], "status": [_literal(d[3]) for d in days]})).one()
    return int(row.days), int(row.revised)


# -- monthly confirmed totals -------------------------------------------------------------------
# A revision rises when a confirmed value changes; confirming again with the same values is no
# revision and leaves confirmed_at alone.
_MONTHLY_CHANGED = """(r.kwh, r.max_demand_kw, r.power_factor, r.next_reading_date) IS DISTINCT FROM
    (EXCLUDED.kwh, EXCLUDED.max_demand_kw, EXCLUDED.power_factor, EXCLUDED.next_reading_date)"""
_MONTHLY_UPSERT = f"""
WITH input AS ({{input}}
), before AS (
    SELECT m.spid, m.billing_month FROM readings_monthly m
    JOIN input i ON m.area = :area AND m.spid = i.spid AND m.billing_month = i.billing_month
), written AS (
    INSERT INTO readings_monthly AS r (area, spid, billing_month, kwh, max_demand_kw, power_factor, next_reading_date)
    SELECT :area, spid, billing_month, kwh, max_demand_kw, power_factor, next_reading_date FROM input
    ON CONFLICT (area, spid, billing_month) DO UPDATE SET
        kwh = EXCLUDED.kwh, max_demand_kw = EXCLUDED.max_demand_kw, power_factor = EXCLUDED.power_factor,
        next_reading_date = EXCLUDED.next_reading_date, revision = r.revision + 1, confirmed_at = now()
    WHERE {_MONTHLY_CHANGED}
    RETURNING r.spid, r.billing_month
)
SELECT count(*) AS written, count(b.spid) AS revised FROM written w LEFT JOIN before b USING (spid, billing_month)
"""

# The month's kWh per point = the sum of its slots from the reading day in the previous month up to
# the day before the reading day in the month (the periods per reading-day code come from the
# calendar); only points whose every day and slot of the period was received are confirmed.
# Maximum demand: the largest half-hour kWh × 2 (kW over 30 minutes). Power factor: the one given
# for this month before (ingest-monthly), else the point's contract value.
_CONFIRM = text(_MONTHLY_UPSERT.format(input="""
SELECT t.spid::varchar(22) AS spid, CAST(:month AS date) AS billing_month, t.kwh, t.max_kwh * 2 AS max_demand_kw,
       coalesce(m.power_factor, t.power_factor) AS power_factor, t.d_next AS next_reading_date
FROM (
    SELECT sp.spid, p.d_next, min(sp.power_factor) AS power_factor,
           sum(d.total) AS kwh, max(d.peak) AS max_kwh, count(*) AS n_days, sum(d.n) AS n_slots,
           min(p.d_to - p.d_from) AS period_days
    FROM unnest(CAST(:codes AS text[]), CAST(:froms AS date[]), CAST(:tos AS date[]), CAST(:nexts AS date[]))
         AS p(code, d_from, d_to, d_next)
    JOIN supply_points sp ON sp.area = :area AND sp.reading_day_code = p.code
    JOIN readings_30min r ON r.area = :area AND r.spid = sp.spid
                         AND r.reading_date >= p.d_from AND r.reading_date < p.d_to
    CROSS JOIN LATERAL (SELECT sum(v) AS total, max(v) AS peak, count(v) AS n FROM unnest(readings_kwh(r.kwh)) v) d
    WHERE sp.spid = ANY(CAST(:spids AS varchar[])) OR CAST(:spids AS varchar[]) IS NULL
    GROUP BY sp.spid, p.d_next
) t
LEFT JOIN readings_monthly m ON m.area = :area AND m.spid = t.spid AND m.billing_month = CAST(:month AS date)
WHERE t.n_days = t.period_days AND t.n_slots = 48 * t.period_days"""))


async def confirm_month(conn: AsyncConnection, area: str, month: date,
                        periods: list[tuple[str, date, date, date]], spids: list[str] | None) -> tuple[int, int]:
    """Monthly totals of `area` for billing month `month` from the 30-minute readings:
    periods = (reading-day code, first day, day after the last, next reading date).
    (points written — new or changed —, of which revised)."""
    row = (await conn.execute(_CONFIRM, {
        "area": area, "month": month, "codes": [p[0] for p in periods], "froms": [p[1] for p in periods],
        "tos": [p[2] for p in periods], "nexts": [p[3] for p in periods], "spids": spids})).one()
    return int(row.written), int(row.revised)


_MONTHLY_INGEST = text(_MONTHLY_UPSERT.format(input="""
SELECT s AS spid, m AS billing_month, k AS kwh, d AS max_demand_kw, f AS power_factor, n AS next_reading_date
FROM unnest(CAST(:spids AS varchar[]), CAST(:months AS date[]), CAST(:kwh AS numeric[]), CAST(:demand AS numeric[]),
            CAST(:factor AS smallint[]), CAST(:next AS date[])) AS u(s, m, k, d, f, n)"""))
_AREAS_OF = text("SELECT DISTINCT ON (spid) spid, area FROM supply_points WHERE spid = ANY(CAST(:spids AS varchar[]))"
                 " ORDER BY spid, area = :area DESC")


async def areas_of(conn: AsyncConnection, spids: list[str], area: str) -> dict[str, str]:
    """spid → the area holding it (this area first), for the known ones among `spids`."""
    rows = await conn.execute(_AREAS_OF, {"spids": spids, "area": area})
    return {spid: found for spid, found in rows}


async def upsert_monthly(conn: AsyncConnection, area: str, rows: list[tuple]) -> tuple[int, int]:
    """(spid, billing month, kWh, max demand, power factor, next reading date) rows: (written, revised)."""
    row = (await conn.execute(_MONTHLY_INGEST, {
        "area": area, "spids": [r[0] for r in rows], "months": [r[1] for r in rows], "kwh": [r[2] for r in rows],
        "demand": [r[3] for r in rows], "factor": [r[4] for r in rows], "next": [r[5] for r in rows]})).one()
    return int(row.written), int(row.revised)
