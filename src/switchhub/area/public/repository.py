"""All SQL of the public page: pending requests (token hashes), their filing and result mail, and
the token buckets of the rate limit."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

COLUMNS = ("id, area, email, token_hash, request, client_addr, created_at, expires_at, confirmed_at, application_no,"
           " result_mailed_at")


async def take_token(conn: AsyncConnection, key: str, burst: float, per_second: float, now: datetime) -> bool:
    """One token from the bucket `key` (created full); False when it is empty. The refill is computed
    from the time since the last take, in one statement, so concurrent takes cannot both get the last."""
    row = (await conn.execute(text(
        "INSERT INTO public_rate_buckets AS b (key, tokens, updated_at) VALUES (:key, :burst - 1, :now)"
        " ON CONFLICT (key) DO UPDATE SET"
        "  tokens = LEAST(:burst, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM (:now - b.updated_at))) * :rate) - 1,"
        "  updated_at = :now"
        " WHERE LEAST(:burst, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM (:now - b.updated_at))) * :rate) >= 1"
        " RETURNING b.tokens"),
        {"key": key, "burst": float(burst), "rate": float(per_second), "now": now})).first()
    return row is not None


async def insert_pending(conn: AsyncConnection, *, area: str, email: str, token_hash: str, request: dict[str, Any],
                         client_addr: str, created_at: datetime, expires_at: datetime) -> int:
    return (await conn.execute(text(
        "INSERT INTO public_usage_requests (area, email, token_hash, request, client_addr, created_at, expires_at)"
        " VALUES (:area, :email, :token_hash, CAST(:request AS jsonb), :client_addr, :created_at, :expires_at)"
        " RETURNING id"),
        {"area": area, "email": email, "token_hash": token_hash, "request": json.dumps(request, ensure_ascii=False),
         "client_addr": client_addr, "created_at": created_at, "expires_at": expires_at})).scalar_one()


async def by_token_hash(conn: AsyncConnection, token_hash: str) -> dict[str, Any] | None:
    row = (await conn.execute(text(f"SELECT {COLUMNS} FROM public_usage_requests WHERE token_hash = :h FOR UPDATE"),
                              {"h": token_hash})).first()
    return dict(row._mapping) if row else None


async def by_application(conn: AsyncConnection, application_no: str) -> dict[str, Any] | None:
    row = (await conn.execute(text(
        f"SELECT {COLUMNS} FROM public_usage_requests WHERE application_no = :no FOR UPDATE"),
        {"no": application_no})).first()
    return dict(row._mapping) if row else None


async def mark_filed(conn: AsyncConnection, request_id: int, application_no: str, now: datetime) -> None:
    await conn.execute(text("UPDATE public_usage_requests SET confirmed_at = :now, application_no = :no"
                            " WHERE id = :id AND confirmed_at IS NULL"),
                       {"now": now, "no": application_no, "id": request_id})


async def mark_result_mailed(conn: AsyncConnection, request_id: int, now: datetime) -> None:
    await conn.execute(text("UPDATE public_usage_requests SET result_mailed_at = :now WHERE id = :id"),
                       {"now": now, "id": request_id})


async def unmailed_applications(conn: AsyncConnection, limit: int = 100) -> list[str]:
    """Application numbers of filed public requests whose result mail has not gone out yet."""
    rows = await conn.execute(text(
        "SELECT application_no FROM public_usage_requests WHERE application_no IS NOT NULL"
        " AND result_mailed_at IS NULL ORDER BY confirmed_at LIMIT :limit"), {"limit": limit})
    return [r.application_no for r in rows]


async def purge_unconfirmed(conn: AsyncConnection, before: datetime) -> int:
    """Expired requests that were never confirmed: their personal data is not kept."""
    result = await conn.execute(text("DELETE FROM public_usage_requests WHERE confirmed_at IS NULL"
                                     " AND expires_at < :before"), {"before": before})
    return result.rowcount or 0


async def purge_idle_buckets(conn: AsyncConnection, before: datetime) -> int:
    """Buckets untouched since `before` are full again: dropping them changes nothing."""
    result = await conn.execute(text("DELETE FROM public_rate_buckets WHERE updated_at < :before"), {"before": before})
    return result.rowcount or 0
