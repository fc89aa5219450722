"""All SQL of notices (インフォメーション): the notices, who they are for, and per-user read marks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

COLUMNS = ("n.id, n.title, n.body, n.audience, n.operator_code, n.starts_at, n.ends_at, n.status, n.published_at,"
           " n.created_by, n.created_at, n.updated_at")
#: the notices a caller's operator is in the audience of, visible at :now
_FOR_CALLER = ("n.status = 'active' AND n.starts_at <= :now AND (n.ends_at IS NULL OR n.ends_at > :now)"
               " AND (n.audience = 'all' OR n.audience = :kind OR (n.audience = 'operator' AND n.operator_code = :op))")


async def insert(conn: AsyncConnection, values: dict[str, Any], created_by: str, now: datetime) -> int:
    return (await conn.execute(text(
        "INSERT INTO notices (title, body, audience, operator_code, starts_at, ends_at, created_by, created_at,"
        " updated_at) VALUES (:title, :body, :audience, :operator_code, :starts_at, :ends_at, :by, :now, :now)"
        " RETURNING id"), {**values, "by": created_by, "now": now})).scalar_one()


async def update(conn: AsyncConnection, notice_id: int, values: dict[str, Any], now: datetime) -> bool:
    """Change an active notice; False when there is no such active notice."""
    result = await conn.execute(text(
        "UPDATE notices SET title = :title, body = :body, audience = :audience, operator_code = :operator_code,"
        " starts_at = :starts_at, ends_at = :ends_at, updated_at = :now WHERE id = :id AND status = 'active'"),
        {**values, "id": notice_id, "now": now})
    return result.rowcount == 1


async def withdraw(conn: AsyncConnection, notice_id: int, now: datetime) -> bool:
    result = await conn.execute(text(
        "UPDATE notices SET status = 'withdrawn', updated_at = :now WHERE id = :id AND status = 'active'"),
        {"id": notice_id, "now": now})
    return result.rowcount == 1


async def get(conn: AsyncConnection, notice_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    row = (await conn.execute(text(f"SELECT {COLUMNS} FROM notices n WHERE n.id = :id"
                                   + (" FOR UPDATE" if for_update else "")), {"id": notice_id})).first()
    return dict(row._mapping) if row else None


async def count_all(conn: AsyncConnection) -> int:
    return (await conn.execute(text("SELECT count(*) FROM notices"))).scalar_one()


async def page_all(conn: AsyncConnection, offset: int, limit: int) -> list[dict[str, Any]]:
    """Every notice (the OCCTO admin's list), newest start first."""
    rows = await conn.execute(text(f"SELECT {COLUMNS} FROM notices n ORDER BY n.starts_at DESC, n.id DESC"
                                   " OFFSET :o LIMIT :n"), {"o": offset, "n": limit})
    return [dict(r._mapping) for r in rows]


async def count_visible(conn: AsyncConnection, kind: str, operator_code: str, now: datetime) -> int:
    return (await conn.execute(text(f"SELECT count(*) FROM notices n WHERE {_FOR_CALLER}"),
                               {"kind": kind, "op": operator_code, "now": now})).scalar_one()


async def page_visible(conn: AsyncConnection, kind: str, operator_code: str, login_id: str, now: datetime,
                       offset: int, limit: int) -> list[dict[str, Any]]:
    """The notices shown to a user now, newest first, each with the user's `read_at` (or NULL)."""
    rows = await conn.execute(text(
        f"SELECT {COLUMNS}, r.read_at FROM notices n LEFT JOIN notice_reads r ON r.notice_id = n.id"
        f" AND r.login_id = :login WHERE {_FOR_CALLER} ORDER BY n.starts_at DESC, n.id DESC OFFSET :o LIMIT :n"),
        {"kind": kind, "op": operator_code, "login": login_id, "now": now, "o": offset, "n": limit})
    return [dict(r._mapping) for r in rows]


async def visible_one(conn: AsyncConnection, notice_id: int, kind: str, operator_code: str, login_id: str,
                      now: datetime) -> dict[str, Any] | None:
    row = (await conn.execute(text(
        f"SELECT {COLUMNS}, r.read_at FROM notices n LEFT JOIN notice_reads r ON r.notice_id = n.id"
        f" AND r.login_id = :login WHERE n.id = :id AND {_FOR_CALLER}"),
        {"id": notice_id, "kind": kind, "op": operator_code, "login": login_id, "now": now})).first()
    return dict(row._mapping) if row else None


async def count_unread(conn: AsyncConnection, kind: str, operator_code: str, login_id: str, now: datetime) -> int:
    return (await conn.execute(text(
        f"SELECT count(*) FROM notices n WHERE {_FOR_CALLER} AND NOT EXISTS"
        " (SELECT 1 FROM notice_reads r WHERE r.notice_id = n.id AND r.login_id = :login)"),
        {"kind": kind, "op": operator_code, "login": login_id, "now": now})).scalar_one()


async def mark_read(conn: AsyncConnection, notice_id: int, login_id: str, now: datetime) -> None:
    await conn.execute(text("INSERT INTO notice_reads (notice_id, login_id, read_at) VALUES (:id, :login, :now)"
                            " ON CONFLICT DO NOTHING"), {"id": notice_id, "login": login_id, "now": now})


async def mark_published(conn: AsyncConnection, notice_id: int, now: datetime) -> None:
    await conn.execute(text("UPDATE notices SET published_at = :now WHERE id = :id"), {"id": notice_id, "now": now})


async def audience_operators(conn: AsyncConnection, audience: str, operator_code: str | None) -> list[str]:
    """The active operators a notice is for (all / retailers / T&Ds / one operator)."""
    rows = await conn.execute(text(
        "SELECT code FROM operators WHERE status = 'active' AND (:aud = 'all' OR kind = :aud"
        " OR (:aud = 'operator' AND code = :op)) ORDER BY code"), {"aud": audience, "op": operator_code or ""})
    return [str(r.code).strip() for r in rows]


async def operator_exists(conn: AsyncConnection, code: str) -> bool:
    return (await conn.execute(text("SELECT 1 FROM operators WHERE code = :c"), {"c": code})).first() is not None


async def operator_choices(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(text("SELECT code, name, kind FROM operators WHERE status = 'active' ORDER BY code"))
    return [{"code": str(r.code).strip(), "name": r.name, "kind": r.kind} for r in rows]
