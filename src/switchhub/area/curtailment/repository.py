"""All SQL of the curtailment events: upsert of an ingested batch, the events a month's form needs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_UPSERT = """
WITH given AS (
    SELECT * FROM unnest(CAST(:spids AS varchar[]), CAST(:kinds AS varchar[]), CAST(:starts AS timestamptz[]),
                         CAST(:ends AS timestamptz[]), CAST(:reasons AS varchar[]), CAST(:rates AS numeric[]))
        AS g(spid, kind, starts_at, ends_at, reason, discount_rate)
), written AS (
    INSERT INTO curtailment_events AS e (area, spid, kind, starts_at, ends_at, reason, discount_rate, ingested_at)
    SELECT :area, spid, kind, starts_at, ends_at, reason, discount_rate, :now FROM given
    ON CONFLICT (area, spid, starts_at) DO UPDATE SET kind = EXCLUDED.kind, ends_at = EXCLUDED.ends_at,
        reason = EXCLUDED.reason, discount_rate = EXCLUDED.discount_rate, ingested_at = EXCLUDED.ingested_at
    WHERE (e.kind, e.ends_at, e.reason, e.discount_rate)
          IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.ends_at, EXCLUDED.reason, EXCLUDED.discount_rate)
    RETURNING 1
)
SELECT count(*) FROM written
"""


async def upsert(conn: AsyncConnection, area: str, rows: list[tuple], now: datetime) -> int:
    """(spid, kind, starts_at, ends_at, reason, discount_rate) rows; the number new or changed."""
    return int((await conn.execute(text(_UPSERT), {
        "area": area, "now": now, "spids": [r[0] for r in rows], "kinds": [r[1] for r in rows],
        "starts": [r[2] for r in rows], "ends": [r[3] for r in rows], "reasons": [r[4] for r in rows],
        "rates": [r[5] for r in rows]})).scalar_one())


# An event counts for the retailer that supplied the point during it, clipped to that supply's days
# in the month (supply periods are inclusive dates; [d0 00:00, d1 + 1 day 00:00) JST), so a switch
# mid-event splits it between the two retailers' forms with no overlap.
_MONTH_EVENTS = """
SELECT s.retailer_code, trim(e.spid) AS spid, e.kind, e.reason, e.discount_rate::text AS discount_rate,
       GREATEST(e.starts_at, w.t0) AS starts_at, LEAST(e.ends_at, w.t1) AS ends_at
FROM supply_periods s
CROSS JOIN LATERAL (
    SELECT (GREATEST(s.valid_from, :m0)::timestamp AT TIME ZONE 'Asia/Tokyo') AS t0,
           ((LEAST(COALESCE(s.valid_to, :m1), :m1) + 1)::timestamp AT TIME ZONE 'Asia/Tokyo') AS t1) w
JOIN curtailment_events e ON e.area = s.area AND e.spid = s.spid AND e.starts_at < w.t1 AND e.ends_at > w.t0
WHERE s.area = :a AND s.valid_from <= :m1 AND (s.valid_to IS NULL OR s.valid_to >= :m0)
ORDER BY s.retailer_code, e.spid, starts_at
"""


async def month_events(conn: AsyncConnection, area: str, m0: date, m1: date) -> list[dict[str, Any]]:
    """The events overlapping [m0, m1] per supplying retailer, clipped to its supply days."""
    rows = await conn.execute(text(_MONTH_EVENTS), {"a": area, "m0": m0, "m1": m1})
    return [dict(r._mapping) for r in rows]
