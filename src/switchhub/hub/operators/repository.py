"""All SQL of OCCTO's operator administration: the operator register and an operator's first admin."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.kernel.clock import get_clock

COLUMNS = ("code, name, name_kana, kind, areas, incumbent_areas, contact_name, contact_phone, email, status,"
           " created_at, updated_at")
FILTER = (" WHERE (CAST(:kind AS text) IS NULL OR kind = :kind)"
          " AND (CAST(:area AS text) IS NULL OR CAST(:area AS text) = ANY(areas))"
          " AND (CAST(:status AS text) IS NULL OR status = :status)")


async def page(conn: AsyncConnection, *, kind: str | None, area: str | None, status: str | None,
               limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    params = {"kind": kind, "area": area, "status": status}
    total = (await conn.execute(text("SELECT count(*) FROM operators" + FILTER), params)).scalar_one()
    rows = await conn.execute(text(f"SELECT {COLUMNS} FROM operators" + FILTER
                                   + " ORDER BY kind, code LIMIT :limit OFFSET :offset"),
                              {**params, "limit": limit, "offset": offset})
    return total, [dict(r._mapping) for r in rows]


async def one(conn: AsyncConnection, code: str, *, for_update: bool = False) -> dict[str, Any] | None:
    row = (await conn.execute(text(f"SELECT {COLUMNS} FROM operators WHERE code = :c"
                                   + (" FOR UPDATE" if for_update else "")), {"c": code})).first()
    return dict(row._mapping) if row else None


async def insert(conn: AsyncConnection, values: dict[str, Any]) -> bool:
    """False when the code is taken (the primary key decides, also between two concurrent requests)."""
    result = await conn.execute(text(
        "INSERT INTO operators (code, name, name_kana, kind, areas, incumbent_areas, contact_name, contact_phone,"
        " email) VALUES (:code, :name, :name_kana, :kind, CAST(:areas AS char(2)[]),"
        " CAST(:incumbent_areas AS char(2)[]), :contact_name, :contact_phone, :email)"
        " ON CONFLICT (code) DO NOTHING"), values)
    return result.rowcount == 1


async def update(conn: AsyncConnection, code: str, values: dict[str, Any]) -> None:
    allowed = {"name", "name_kana", "areas", "incumbent_areas", "contact_name", "contact_phone", "email"}
    if not values or set(values) - allowed:
        raise ValueError(sorted(set(values) - allowed))
    sets = ", ".join(f"{k} = CAST(:{k} AS char(2)[])" if k.endswith("areas") else f"{k} = :{k}" for k in values)
    await conn.execute(text(f"UPDATE operators SET {sets}, updated_at = :now WHERE code = :code"),
                       {**values, "code": code, "now": get_clock().now()})


async def set_status(conn: AsyncConnection, code: str, status: str) -> None:
    await conn.execute(text("UPDATE operators SET status = :s, updated_at = :now WHERE code = :c"),
                       {"s": status, "c": code, "now": get_clock().now()})


async def admin_count(conn: AsyncConnection, code: str) -> int:
    return (await conn.execute(text("SELECT count(*) FROM users WHERE operator_code = :c AND role = 'admin'"
                                    " AND NOT is_api_user AND status <> 'suspended'"), {"c": code})).scalar_one()


