"""SQL of the access-log analysis: one statement finds every kind of finding in a window and stores
the new ones (the unique key drops those a repeated run finds again); the report's reads and the
acknowledgement. Nothing is counted in Python."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_ANALYSE = text("""
WITH lookups AS (
    SELECT operator_code, user_login, sum(cardinality(resource_ids)) AS n FROM audit_records
     WHERE action = ANY(CAST(:lookups AS text[])) AND outcome = 'ok' AND at >= CAST(:lo AS timestamptz) AND at < CAST(:hi AS timestamptz)
       AND operator_code IS NOT NULL AND user_login IS NOT NULL
     GROUP BY 1, 2
), norms AS (
    SELECT operator_code, percentile_cont(0.5) WITHIN GROUP (ORDER BY n) AS median, count(*) AS users
      FROM lookups GROUP BY 1
), looked AS (
    SELECT a.operator_code, a.user_login, s.spid, min(a.at) AS first_at
      FROM audit_records a JOIN operators o ON o.code = a.operator_code AND o.kind = 'retailer'
     CROSS JOIN LATERAL unnest(a.resource_ids) AS s(spid)
     WHERE a.action = ANY(CAST(:lookups AS text[])) AND a.outcome = 'ok' AND a.at >= CAST(:follow_lo AS timestamptz) AND a.at < CAST(:follow_hi AS timestamptz)
       AND a.user_login IS NOT NULL
     GROUP BY 1, 2, 3
), unfollowed AS (  -- anti-joins (hashed by the planner), not a probe per point
    SELECT l.operator_code, l.user_login, l.spid FROM looked l
     WHERE NOT EXISTS (
               SELECT 1 FROM applications_index ai WHERE ai.spid = l.spid AND ai.applicant_code = l.operator_code
                  AND ai.received_at >= l.first_at AND ai.received_at < l.first_at + CAST(:follow_days AS integer) * interval '1 day')
       AND NOT EXISTS (
               SELECT 1 FROM relays r WHERE r.spid = l.spid AND r.new_retailer = l.operator_code
                  AND r.registered_at >= l.first_at AND r.registered_at < l.first_at + CAST(:follow_days AS integer) * interval '1 day')
), judged AS (
    SELECT t.operator_code, t.user_login, t.looked, coalesce(u.n, 0) AS unfollowed
      FROM (SELECT operator_code, user_login, count(*) AS looked FROM looked GROUP BY 1, 2) t
      LEFT JOIN (SELECT operator_code, user_login, count(*) AS n FROM unfollowed GROUP BY 1, 2) u
           USING (operator_code, user_login)
), findings AS (
    SELECT 'lookup_volume' AS kind, u.operator_code, u.user_login, CAST(:lo AS timestamptz) AS w_lo, CAST(:hi AS timestamptz) AS w_hi,
           jsonb_build_object('lookups', u.n, 'operator_median', m.median, 'operator_users', m.users,
                              'k', CAST(:k AS float8), 'min_lookups', CAST(:min_lookups AS integer)) AS figures
      FROM lookups u JOIN norms m USING (operator_code)
     WHERE u.n > m.median * CAST(:k AS float8) AND u.n > CAST(:min_lookups AS integer)
    UNION ALL
    SELECT 'lookup_without_application', operator_code, user_login, CAST(:follow_lo AS timestamptz), CAST(:follow_hi AS timestamptz),
           jsonb_build_object('points_looked_up', looked, 'without_application', unfollowed,
                              'follow_days', CAST(:follow_days AS integer), 'min_points', CAST(:min_unfollowed AS integer), 'min_share', CAST(:min_share AS float8))
      FROM judged WHERE unfollowed > CAST(:min_unfollowed AS integer) AND unfollowed >= looked * CAST(:min_share AS float8)
    UNION ALL
    SELECT 'usage_off_hours', operator_code, user_login, CAST(:lo AS timestamptz), CAST(:hi AS timestamptz),
           jsonb_build_object('inquiries_off_hours', count(*), 'min_inquiries', CAST(:min_off_hours AS integer),
                              'hours', '09:00-17:00 JST, business days')
      FROM audit_records
     WHERE action = ANY(CAST(:inquiries AS text[])) AND at >= CAST(:lo AS timestamptz) AND at < CAST(:hi AS timestamptz)
       AND operator_code IS NOT NULL AND user_login IS NOT NULL
       AND (CAST(timezone('Asia/Tokyo', at) AS date) = ANY(CAST(:closed_days AS date[]))
            OR extract(hour FROM timezone('Asia/Tokyo', at)) < 9 OR extract(hour FROM timezone('Asia/Tokyo', at)) >= 17)
     GROUP BY operator_code, user_login HAVING count(*) > CAST(:min_off_hours AS integer)
    UNION ALL
    SELECT 'many_certificates', operator_code, user_login, CAST(:lo AS timestamptz), CAST(:hi AS timestamptz),
           jsonb_build_object('certificates', count(*), 'max_certificates', CAST(:max_certs AS integer),
                              'fingerprints', jsonb_agg(left(cert_fingerprint, 16) ORDER BY cert_fingerprint))
      FROM (SELECT operator_code, user_login, cert_fingerprint FROM audit_records  -- distinct by hashing
             WHERE at >= CAST(:lo AS timestamptz) AND at < CAST(:hi AS timestamptz) AND operator_code IS NOT NULL
               AND user_login IS NOT NULL AND cert_fingerprint IS NOT NULL
             GROUP BY 1, 2, 3) used
     GROUP BY operator_code, user_login HAVING count(*) > CAST(:max_certs AS integer)
    UNION ALL
    SELECT 'retail_tso_access', a.operator_code, coalesce(a.user_login, ''), CAST(:lo AS timestamptz), CAST(:hi AS timestamptz),
           jsonb_build_object('records', count(*), 'actions', jsonb_agg(DISTINCT a.action),
                              'permissions', jsonb_agg(DISTINCT a.detail->>'permission')
                                             FILTER (WHERE a.detail ? 'permission'))
      FROM audit_records a JOIN operators o ON o.code = a.operator_code AND o.kind = 'retailer'
     WHERE a.at >= CAST(:lo AS timestamptz) AND a.at < CAST(:hi AS timestamptz)
       AND (a.action LIKE 'alert.visibility.%'
            OR (a.action = 'auth.refused' AND a.outcome = 'permission_denied'
                AND a.detail->>'permission' = ANY(CAST(:tso_only AS text[]))))
     GROUP BY a.operator_code, coalesce(a.user_login, '')
)
INSERT INTO anomaly_findings (kind, operator_code, user_login, window_start, window_end, figures, found_at)
SELECT kind, operator_code, user_login, w_lo, w_hi, figures, CAST(:now AS timestamptz) FROM findings
ON CONFLICT (kind, operator_code, user_login, window_start) DO NOTHING
RETURNING id, kind, operator_code, user_login, window_start, window_end, figures
""")


async def analyse(conn: AsyncConnection, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Store the findings of one window; the new ones (not found by an earlier run) come back. The
    job's transaction may hash its groupings in memory (distinct certificates, points looked up)
    instead of sorting a week of records on disk (docs/benchmarks.md)."""
    await conn.execute(text("SET LOCAL work_mem = '64MB'"))
    return [dict(r._mapping) for r in await conn.execute(_ANALYSE, params)]


_COLUMNS = ("id, kind, operator_code, user_login, window_start, window_end, figures, status, ack_note,"
            " acknowledged_by, acknowledged_at, found_at")


async def count(conn: AsyncConnection, status: str | None) -> int:
    return (await conn.execute(text("SELECT count(*) FROM anomaly_findings"
                                    " WHERE (CAST(:s AS text) IS NULL OR status = :s)"), {"s": status})).scalar_one()


async def page(conn: AsyncConnection, status: str | None, offset: int, limit: int) -> list[dict[str, Any]]:
    rows = await conn.execute(text(f"SELECT {_COLUMNS} FROM anomaly_findings WHERE (CAST(:s AS text) IS NULL"
                                   " OR status = :s) ORDER BY found_at DESC, id DESC LIMIT :limit OFFSET :offset"),
                              {"s": status, "limit": limit, "offset": offset})
    return [dict(r._mapping) for r in rows]


async def get(conn: AsyncConnection, finding_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    row = (await conn.execute(text(f"SELECT {_COLUMNS} FROM anomaly_findings WHERE id = :id"
                                   + (" FOR UPDATE" if lock else "")), {"id": finding_id})).first()
    return dict(row._mapping) if row else None


async def acknowledge(conn: AsyncConnection, finding_id: int, note: str, by: str, at: datetime) -> None:
    await conn.execute(text("UPDATE anomaly_findings SET status = 'acknowledged', ack_note = :note,"
                            " acknowledged_by = :by, acknowledged_at = :at WHERE id = :id"),
                       {"id": finding_id, "note": note, "by": by, "at": at})


async def occto_operators(conn: AsyncConnection) -> list[str]:
    rows = await conn.execute(text("SELECT code FROM operators WHERE kind = 'occto' AND status = 'active'"))
    return [r.code for r in rows]
