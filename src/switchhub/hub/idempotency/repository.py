"""All SQL of the hub's `idempotency_keys` table: one row per (operator, key), first written as
a claim (status 0) and then completed with the stored answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection


async def lock_key(conn: AsyncConnection, operator_code: str, key: str) -> Row | None:
    """The operator's row for the key, locked until the transaction ends: `request_hash`,
    `status_code` (0 while the first request is being answered), `response_body`, `content_type`
    and `stale` (claimed more than 60 seconds ago)."""
    return (await conn.execute(text(
        "SELECT request_hash, status_code, response_body, content_type, created_at < now() - interval '60 seconds'"
        " AS stale FROM idempotency_keys WHERE operator_code = :op AND key = :k FOR UPDATE"),
        {"op": operator_code, "k": key})).first()


async def delete_key(conn: AsyncConnection, operator_code: str, key: str) -> None:
    """Forget the key, so that the next request with it is answered afresh."""
    await conn.execute(text("DELETE FROM idempotency_keys WHERE operator_code = :op AND key = :k"),
                       {"op": operator_code, "k": key})


async def insert_claim(conn: AsyncConnection, operator_code: str, key: str, request_hash: str) -> None:
    """Claim the key for the request with this hash; the answer is not known yet (status 0)."""
    await conn.execute(text(
        "INSERT INTO idempotency_keys (operator_code, key, request_hash, status_code, response_body, content_type)"
        " VALUES (:op, :k, :h, 0, '', '')"), {"op": operator_code, "k": key, "h": request_hash})


async def store_answer(conn: AsyncConnection, operator_code: str, key: str, status_code: int, body: bytes,
                       content_type: str) -> None:
    """Keep the first answer under the claimed key, to be replayed to every retry."""
    await conn.execute(text("UPDATE idempotency_keys SET status_code = :s, response_body = :b, content_type = :c"
                            " WHERE operator_code = :op AND key = :k"),
                       {"s": status_code, "b": body, "c": content_type, "op": operator_code, "k": key})


async def purge_expired(conn: AsyncConnection, now: datetime) -> None:
    """Drop the keys older than 7 days (api.md: a key holds for 7 days) by the application clock."""
    await conn.execute(text("DELETE FROM idempotency_keys"
                            " WHERE created_at < CAST(:now AS timestamptz) - interval '7 days'"),
                       {"now": now})
