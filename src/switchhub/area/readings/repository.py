"""All SQL of the meter readings: point areas for the checks, month partitions, the per-day merge."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_AREAS_OF = text("SELECT spid, area FROM supply_points WHERE spid = ANY(CAST(:spids AS varchar[]))")

_PARTITIONS = text("SELECT readings_month_partition(m) FROM unnest(CAST(:months AS date[])) m")

# One statement per batch of point-days: `before` sees the rows as they were when the statement
# started, so the answer counts the days whose revision the merge raised. A slot the batch carries
# replaces the stored one; a slot it does not carry (NULL) keeps the stored one; the revision rises
# when a slot that already had a value gets a different value or status.
_CHANGED = """(SELECT count(*) FILTER (WHERE o IS NOT NULL AND n IS NOT NULL AND (o <> n OR os IS DISTINCT FROM ns)) > 0
              FROM unnest(r.kwh, EXCLUDED.kwh, r.status, EXCLUDED.status) AS u(o, n, os, ns))"""
_MERGE = text(f"""
WITH input AS (
    SELECT s AS spid, d AS reading_date, k::numeric(10,4)[] AS kwh, st::smallint[] AS status
    FROM unnest(CAST(:spids AS varchar[]), CAST(:days AS date[]), CAST(:kwh AS text[]),
                CAST(:status AS text[])) AS u(s, d, k, st)
), before AS (
    SELECT r.spid, r.reading_date, r.revision FROM readings_30min r
    JOIN input i ON r.area = :area AND r.spid = i.spid AND r.reading_date = i.reading_date
), merged AS (
    INSERT INTO readings_30min AS r (area, spid, reading_date, kwh, status)
    SELECT :area, spid, reading_date, kwh, status FROM input
    ON CONFLICT (area, spid, reading_date) DO UPDATE SET
        kwh = (SELECT array_agg(COALESCE(n, o) ORDER BY i)
               FROM unnest(r.kwh, EXCLUDED.kwh) WITH ORDINALITY AS u(o, n, i)),
        status = (SELECT array_agg(CASE WHEN n IS NULL THEN os ELSE ns END ORDER BY i)
                  FROM unnest(r.status, EXCLUDED.status, EXCLUDED.kwh) WITH ORDINALITY AS u(os, ns, n, i)),
        revision = r.revision + {_CHANGED}::int,
        revised_at = CASE WHEN {_CHANGED} THEN now() ELSE r.revised_at END,
        received_at = now()
    RETURNING r.spid, r.reading_date, r.revision
)
SELECT count(*) AS days, count(*) FILTER (WHERE m.revision > b.revision) AS revised
FROM merged m LEFT JOIN before b USING (spid, reading_date)
""")



async def areas_of(conn: AsyncConnection, spids: list[str]) -> dict[str, str]:
    rows = await conn.execute(_AREAS_OF, {"spids": spids})
    return {spid: area for spid, area in rows}


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
