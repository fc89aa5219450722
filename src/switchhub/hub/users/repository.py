"""All SQL of the operators' own user administration (users, their credentials, sessions ending)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

USER_COLUMNS = ("u.id, u.login_id, u.operator_code, u.role, u.display_name, u.email, u.status, u.is_api_user,"
                " u.failed_logins, u.totp_secret IS NOT NULL AS totp_enabled, u.must_change_password,"
                " u.created_at, u.updated_at, u.deleted_at")


async def list_users(conn: AsyncConnection, operator_code: str, *, status: str | None, role: str | None,
                     limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    where = ("u.operator_code = :op AND (CAST(:status AS text) IS NULL OR u.status = :status)"
             " AND (CAST(:role AS text) IS NULL OR u.role = :role)")
    params = {"op": operator_code, "status": status, "role": role}
    total = (await conn.execute(text(f"SELECT count(*) FROM users u WHERE {where}"), params)).scalar_one()
    rows = await conn.execute(text(f"SELECT {USER_COLUMNS} FROM users u WHERE {where}"
                                   " ORDER BY u.login_id LIMIT :limit OFFSET :offset"),
                              {**params, "limit": limit, "offset": offset})
    return total, [dict(r._mapping) for r in rows]


async def user_of_operator(conn: AsyncConnection, operator_code: str, login_id: str, *,
                           for_update: bool = False) -> dict[str, Any] | None:
    """The user `login_id` when it belongs to `operator_code` (another operator's user: None, as unknown)."""
    row = (await conn.execute(text(f"SELECT {USER_COLUMNS}, u.totp_secret FROM users u"
                                   " WHERE u.login_id = :l AND u.operator_code = :op"
                                   + (" FOR UPDATE" if for_update else "")),
                              {"l": login_id, "op": operator_code})).first()
    return dict(row._mapping) if row else None


async def user_anywhere(conn: AsyncConnection, login_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    row = (await conn.execute(text(f"SELECT {USER_COLUMNS} FROM users u WHERE u.login_id = :l"
                                   + (" FOR UPDATE" if for_update else "")), {"l": login_id})).first()
    return dict(row._mapping) if row else None


async def login_ids_taken(conn: AsyncConnection, login_ids: list[str]) -> set[str]:
    """Which of these IDs exist in any operator, deleted ones included (an ID is never issued twice)."""
    rows = await conn.execute(text("SELECT login_id FROM users WHERE login_id = ANY(CAST(:l AS text[]))"),
                              {"l": login_ids})
    return {r.login_id for r in rows}


async def active_admin_count(conn: AsyncConnection, operator_code: str) -> int:
    return (await conn.execute(text("SELECT count(*) FROM users WHERE operator_code = :op AND role = 'admin'"
                                    " AND status = 'active'"), {"op": operator_code})).scalar_one()


async def operator_kind(conn: AsyncConnection, operator_code: str) -> str | None:
    return (await conn.execute(text("SELECT kind FROM operators WHERE code = :op"),
                               {"op": operator_code})).scalar_one_or_none()


async def insert_user(conn: AsyncConnection, *, login_id: str, operator_code: str, role: str, display_name: str,
                      email: str, password_hash: str | None, totp_secret: str | None, now: datetime) -> int:
    return (await conn.execute(text(
        "INSERT INTO users (login_id, operator_code, role, display_name, email, is_api_user, password_hash,"
        " password_changed_at, must_change_password, totp_secret, created_at, updated_at)"
        " VALUES (:l, :op, :role, :name, :email, :api, :hash, :now, :must, :totp, :now, :now) RETURNING id"),
        {"l": login_id, "op": operator_code, "role": role, "name": display_name, "email": email,
         "api": role == "api", "hash": password_hash, "must": password_hash is not None, "totp": totp_secret,
         "now": now})).scalar_one()


async def update_user(conn: AsyncConnection, user_id: int, *, display_name: str, email: str, role: str,
                      totp_secret: str | None, now: datetime) -> None:
    await conn.execute(text("UPDATE users SET display_name = :name, email = :email, role = :role,"
                            " totp_secret = COALESCE(:totp, totp_secret), updated_at = :now WHERE id = :id"),
                       {"name": display_name, "email": email, "role": role, "totp": totp_secret, "now": now,
                        "id": user_id})


async def set_status(conn: AsyncConnection, user_id: int, status: str, now: datetime) -> None:
    await conn.execute(text("UPDATE users SET status = :s, updated_at = :now,"
                            " deleted_at = CASE WHEN :s = 'deleted' THEN CAST(:now AS timestamptz) END"
                            " WHERE id = :id"), {"s": status, "now": now, "id": user_id})


async def reset_password(conn: AsyncConnection, user_id: int, password_hash: str, now: datetime) -> None:
    """A one-time password: active again, failures forgotten, and changed at the next login."""
    await conn.execute(text("UPDATE users SET password_hash = :h, password_changed_at = :now, must_change_password = true,"
                            " failed_logins = 0, status = 'active', updated_at = :now WHERE id = :id"),
                       {"h": password_hash, "now": now, "id": user_id})


async def end_sessions(conn: AsyncConnection, user_id: int, now: datetime) -> int:
    result = await conn.execute(text("UPDATE web_sessions SET ended_at = :now WHERE user_id = :id AND ended_at IS NULL"),
                                {"now": now, "id": user_id})
    return result.rowcount


async def revoke_all_credentials(conn: AsyncConnection, user_id: int, now: datetime) -> list[str]:
    rows = await conn.execute(text("UPDATE api_credentials SET revoked_at = :now WHERE user_id = :id"
                                   " AND revoked_at IS NULL RETURNING key_id"), {"now": now, "id": user_id})
    return sorted(r.key_id for r in rows)


async def credentials_of(conn: AsyncConnection, user_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(text("SELECT key_id, label, created_at, last_used_at, revoked_at,"
                                   " revoked_at IS NOT NULL AS revoked FROM api_credentials"
                                   " WHERE user_id = :id ORDER BY created_at DESC, key_id"), {"id": user_id})
    return [dict(r._mapping) for r in rows]


async def set_totp_pending(conn: AsyncConnection, user_id: int, secret: str | None) -> None:
    await conn.execute(text("UPDATE users SET totp_pending_secret = :s WHERE id = :id"), {"s": secret, "id": user_id})


async def set_totp(conn: AsyncConnection, user_id: int, secret: str | None, now: datetime) -> None:
    await conn.execute(text("UPDATE users SET totp_secret = :s, totp_pending_secret = NULL, updated_at = :now"
                            " WHERE id = :id"), {"s": secret, "now": now, "id": user_id})
