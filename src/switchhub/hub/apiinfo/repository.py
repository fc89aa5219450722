"""All SQL of the API repository page's operating information (maintenance, versions, change log)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.kernel.clock import get_clock

COLUMNS = "id, kind, title, body, version, starts_at, ends_at, entry_date, created_at, updated_at"
FIELDS = ("title", "body", "version", "starts_at", "ends_at", "entry_date")
ORDER = {"maintenance": "starts_at DESC, id DESC", "version": "title, id DESC", "change": "entry_date DESC, id DESC"}


async def of_kind(conn: AsyncConnection, kind: str, limit: int, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    total = (await conn.execute(text("SELECT count(*) FROM api_info_entries WHERE kind = :k"), {"k": kind})
             ).scalar_one()
    rows = await conn.execute(text(f"SELECT {COLUMNS} FROM api_info_entries WHERE kind = :k ORDER BY {ORDER[kind]}"
                                   " LIMIT :limit OFFSET :offset"), {"k": kind, "limit": limit, "offset": offset})
    return total, [dict(r._mapping) for r in rows]


async def one(conn: AsyncConnection, entry_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    row = (await conn.execute(text(f"SELECT {COLUMNS} FROM api_info_entries WHERE id = :id"
                                   + (" FOR UPDATE" if for_update else "")), {"id": entry_id})).first()
    return dict(row._mapping) if row else None


async def insert(conn: AsyncConnection, kind: str, values: dict[str, Any]) -> int:
    return (await conn.execute(text(
        "INSERT INTO api_info_entries (kind, title, body, version, starts_at, ends_at, entry_date)"
        " VALUES (:kind, :title, :body, :version, :starts_at, :ends_at, :entry_date) RETURNING id"),
        {"kind": kind, **{f: values.get(f) for f in FIELDS}})).scalar_one()


async def update(conn: AsyncConnection, entry_id: int, values: dict[str, Any]) -> None:
    await conn.execute(text(
        "UPDATE api_info_entries SET title = :title, body = :body, version = :version, starts_at = :starts_at,"
        " ends_at = :ends_at, entry_date = :entry_date, updated_at = :now WHERE id = :id"),
        {"id": entry_id, **{f: values.get(f) for f in FIELDS}, "now": get_clock().now()})


async def delete(conn: AsyncConnection, entry_id: int) -> None:
    await conn.execute(text("DELETE FROM api_info_entries WHERE id = :id"), {"id": entry_id})
