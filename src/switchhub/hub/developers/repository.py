"""All SQL of the sandbox developers (the binding of a developer's API user to its certificate)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

COLUMNS = ("d.id, d.operator_code, u.login_id, u.display_name, u.email, d.key_id, d.status, d.status_reason,"
           " d.created_by, d.created_at, d.revoked_by, d.revoked_at, c.fingerprint, c.subject,"
           " c.status AS certificate_status, c.not_before, c.not_after")
FROM = (" FROM sandbox_developers d JOIN users u ON u.id = d.user_id"
        " JOIN client_certificates c ON c.id = d.certificate_id")


def _row(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    out["operator_code"], out["fingerprint"] = out["operator_code"].strip(), out["fingerprint"].strip()
    return out


async def insert(conn: AsyncConnection, *, operator_code: str, login_id: str, fingerprint: str, key_id: str,
                 status: str, status_reason: str, created_by: str, now: datetime) -> None:
    await conn.execute(text(
        "INSERT INTO sandbox_developers (operator_code, user_id, certificate_id, key_id, status,"
        " status_reason, created_by, created_at)"
        " SELECT CAST(:op AS varchar(5)), u.id, c.id, :key, :status, :reason, :by, :now"
        " FROM users u, client_certificates c"
        " WHERE u.login_id = :login AND u.operator_code = :op AND c.fingerprint = :fp"),
        {"op": operator_code, "login": login_id, "fp": fingerprint, "key": key_id, "status": status,
         "reason": status_reason, "by": created_by, "now": now})


async def page(conn: AsyncConnection, operator_code: str, *, limit: int, offset: int
               ) -> tuple[int, list[dict[str, Any]]]:
    total = (await conn.execute(text("SELECT count(*) FROM sandbox_developers WHERE operator_code = :op"),
                                {"op": operator_code})).scalar_one()
    rows = await conn.execute(text(
        f"SELECT {COLUMNS}{FROM} WHERE d.operator_code = :op ORDER BY d.created_at DESC, d.id DESC"
        " LIMIT :limit OFFSET :offset"), {"op": operator_code, "limit": limit, "offset": offset})
    return total, [_row(r) for r in rows]


async def one_of_operator(conn: AsyncConnection, operator_code: str, login_id: str, *,
                          for_update: bool = False) -> dict[str, Any] | None:
    """The operator's own developer only: another operator's is not found, like an unknown one."""
    row = (await conn.execute(text(
        f"SELECT {COLUMNS}{FROM} WHERE d.operator_code = :op AND u.login_id = :login"
        + (" FOR UPDATE OF d" if for_update else "")), {"op": operator_code, "login": login_id})).first()
    return _row(row) if row else None


async def set_status(conn: AsyncConnection, developer_id: int, *, status: str, status_reason: str, by: str,
                     now: datetime) -> None:
    await conn.execute(text(
        "UPDATE sandbox_developers SET status = :s, status_reason = :r, revoked_by = :by, revoked_at = :now"
        " WHERE id = :id"), {"s": status, "r": status_reason, "by": by, "now": now, "id": developer_id})
