"""SQL of the statistics: one period's figures recomputed inside PostgreSQL, and the stored figures read.

Every figure is counted by the database over one period's rows (indexes on the time columns),
never by reading rows into Python. Areas come from the data itself: an application's and a
relay's own area, and the first two digits of a supply point ID for lookups and usage inquiries.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_REFRESH = text("""
INSERT INTO statistics (period_kind, period_start, area, metric, value, refreshed_at)
SELECT :kind, :start, area, metric, sum(n), :now FROM (
    SELECT area, 'application:' || type AS metric, count(*) AS n FROM applications_index
     WHERE received_at >= :lo AND received_at < :hi GROUP BY 1, 2
    UNION ALL
    SELECT r.area, 'relay:' || h.to_status, count(*) FROM relay_history h JOIN relays r USING (relay_no)
     WHERE h.at >= :lo AND h.at < :hi GROUP BY 1, 2
    UNION ALL
    SELECT left(s.spid, 2), CASE WHEN a.action = ANY(CAST(:inquiries AS text[])) THEN 'usage_inquiry' ELSE 'lookup' END,
           count(*)
      FROM audit_records a  -- one scan for both: a lookup counts each point, an inquiry its one point
     CROSS JOIN LATERAL unnest(CASE WHEN a.action = ANY(CAST(:inquiries AS text[])) THEN a.resource_ids[1:1]
                                    ELSE a.resource_ids END) AS s(spid)
     WHERE a.action = ANY(CAST(:lookups AS text[]) || CAST(:inquiries AS text[])) AND a.outcome = 'ok'
       AND a.at >= :lo AND a.at < :hi
     GROUP BY 1, 2
) figures
WHERE area ~ '^[0-9]{2}$'
GROUP BY area, metric
""")


async def refresh_period(conn: AsyncConnection, *, kind: str, start: date, lo: datetime, hi: datetime,
                         lookups: list[str], inquiries: list[str], now: datetime) -> int:
    """Replace one period's figures (delete + insert in the caller's transaction); the number of figures."""
    await conn.execute(text("DELETE FROM statistics WHERE period_kind = :kind AND period_start = :start"),
                       {"kind": kind, "start": start})
    result = await conn.execute(_REFRESH, {"kind": kind, "start": start, "lo": lo, "hi": hi, "lookups": lookups,
                                           "inquiries": inquiries, "now": now})
    return result.rowcount


async def figures(conn: AsyncConnection, *, kind: str, first: date, last: date, area: str | None
                  ) -> list[dict[str, Any]]:
    rows = await conn.execute(text(
        "SELECT period_start, area, metric, value FROM statistics WHERE period_kind = :kind"
        " AND period_start BETWEEN :first AND :last AND (CAST(:area AS text) IS NULL OR area = :area)"
        " ORDER BY period_start, area, metric"), {"kind": kind, "first": first, "last": last, "area": area})
    return [dict(r._mapping) for r in rows]


async def last_refreshed(conn: AsyncConnection, kind: str) -> datetime | None:
    return (await conn.execute(text("SELECT max(refreshed_at) FROM statistics WHERE period_kind = :kind"),
                               {"kind": kind})).scalar()
