"""All SQL of client certificate administration and its expiry warnings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

COLUMNS = ("c.id, c.fingerprint, c.subject, c.issuer, c.operator_code, o.name AS operator_name, c.purpose, c.areas,"
           " c.status, c.not_before, c.not_after, c.registered_at")
FILTER = (" WHERE (CAST(:op AS text) IS NULL OR c.operator_code = :op)"
          " AND (CAST(:status AS text) IS NULL OR c.status = :status)"
          " AND (CAST(:purpose AS text) IS NULL OR c.purpose = :purpose)")


async def page(conn: AsyncConnection, *, operator_code: str | None, status: str | None, purpose: str | None,
               limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    params = {"op": operator_code, "status": status, "purpose": purpose}
    total = (await conn.execute(text("SELECT count(*) FROM client_certificates c" + FILTER), params)).scalar_one()
    rows = await conn.execute(text(
        f"SELECT {COLUMNS} FROM client_certificates c JOIN operators o ON o.code = c.operator_code" + FILTER
        + " ORDER BY c.not_after NULLS LAST, c.id LIMIT :limit OFFSET :offset"),
        {**params, "limit": limit, "offset": offset})
    return total, [dict(r._mapping) for r in rows]


async def one(conn: AsyncConnection, fingerprint: str, *, for_update: bool = False) -> dict[str, Any] | None:
    row = (await conn.execute(text(
        f"SELECT {COLUMNS} FROM client_certificates c JOIN operators o ON o.code = c.operator_code"
        " WHERE c.fingerprint = :fp" + (" FOR UPDATE OF c" if for_update else "")), {"fp": fingerprint})).first()
    return dict(row._mapping) if row else None


async def insert(conn: AsyncConnection, *, fingerprint: str, subject: str, issuer: str, operator_code: str,
                 purpose: str, areas: list[str], not_before: datetime | None, not_after: datetime | None) -> bool:
    """False when the fingerprint is registered already (the unique key decides)."""
    result = await conn.execute(text(
        "INSERT INTO client_certificates (fingerprint, subject, issuer, operator_code, purpose, areas, not_before,"
        " not_after) VALUES (:fp, :s, :i, :op, :p, CAST(:a AS char(2)[]), :nb, :na)"
        " ON CONFLICT (fingerprint) DO NOTHING"),
        {"fp": fingerprint, "s": subject, "i": issuer, "op": operator_code, "p": purpose, "a": areas,
         "nb": not_before, "na": not_after})
    return result.rowcount == 1


async def set_status(conn: AsyncConnection, fingerprint: str, status: str) -> None:
    await conn.execute(text("UPDATE client_certificates SET status = :s WHERE fingerprint = :fp"),
                       {"s": status, "fp": fingerprint})


async def area_certificate(conn: AsyncConnection, fingerprint: str) -> dict[str, Any] | None:
    """An active area certificate of an active operator, with the area codes it speaks for."""
    row = (await conn.execute(text(
        "SELECT c.areas, c.operator_code FROM client_certificates c JOIN operators o ON o.code = c.operator_code"
        " WHERE c.fingerprint = :fp AND c.purpose = 'area' AND c.status = 'active' AND o.status = 'active'"
        " AND (c.not_after IS NULL OR c.not_after > now())"), {"fp": fingerprint})).first()
    return dict(row._mapping) if row else None


async def claim_warnings(conn: AsyncConnection, threshold_days: int, lower_days: int, now: datetime
                         ) -> list[dict[str, Any]]:
    """Active certificates expiring after `lower_days` and within `threshold_days` and not yet warned
    for that threshold, marked warned in the same statement (so two workers never warn twice)."""
    rows = await conn.execute(text(
        "WITH due AS (SELECT c.id FROM client_certificates c WHERE c.status = 'active' AND c.not_after IS NOT NULL"
        " AND c.not_after > CAST(:now AS timestamptz) + make_interval(days => :lower)"
        " AND c.not_after <= CAST(:now AS timestamptz) + make_interval(days => :d)"
        " AND NOT EXISTS (SELECT 1 FROM certificate_expiry_warnings w WHERE w.certificate_id = c.id"
        " AND w.threshold_days = :d)),"
        " marked AS (INSERT INTO certificate_expiry_warnings (certificate_id, threshold_days, warned_at)"
        " SELECT id, :d, CAST(:now AS timestamptz) FROM due ON CONFLICT DO NOTHING RETURNING certificate_id)"
        " SELECT c.id, c.fingerprint, c.subject, c.operator_code, c.purpose, c.not_after"
        " FROM client_certificates c JOIN marked m ON m.certificate_id = c.id ORDER BY c.not_after, c.id"),
        {"now": now, "d": threshold_days, "lower": lower_days})
    return [dict(r._mapping) for r in rows]


async def occto_operator_codes(conn: AsyncConnection) -> list[str]:
    """OCCTO's active operator codes (its admins renew certificates, so they hear of expiry too)."""
    rows = await conn.execute(text("SELECT code FROM operators WHERE kind = 'occto' AND status = 'active'"))
    return [str(c).strip() for c in rows.scalars().all()]
