"""SQL of break-glass grants and their history (no rules here)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.kernel.clock import get_clock

COLUMNS = ("grant_id, operator_code, users, field_classes, areas, disaster_title, reason, starts_at, ends_at,"
           " status, status_reason, requested_by, requested_by_operator, decided_by, decided_at, decision_note,"
           " revoked_by, revoked_at, created_at, updated_at")
UPDATABLE = {"status", "status_reason", "decided_by", "decided_at", "decision_note", "revoked_by", "revoked_at"}


async def next_grant_id(conn: AsyncConnection) -> str:
    n = (await conn.execute(text("SELECT nextval('breakglass_no_seq')"))).scalar_one()
    return f"BG{n:08d}"


async def insert(conn: AsyncConnection, grant: dict[str, Any]) -> None:
    await conn.execute(text(
        "INSERT INTO breakglass_grants (grant_id, operator_code, users, field_classes, areas, disaster_title, reason,"
        " starts_at, ends_at, status, status_reason, requested_by, requested_by_operator, created_at, updated_at)"
        " VALUES (:grant_id, :operator_code, :users, :field_classes, :areas, :disaster_title, :reason, :starts_at,"
        " :ends_at, :status, :status_reason, :requested_by, :requested_by_operator, :created_at, :created_at)"),
        grant)


async def get(conn: AsyncConnection, grant_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    row = (await conn.execute(text(f"SELECT {COLUMNS} FROM breakglass_grants WHERE grant_id = :g"
                                   + (" FOR UPDATE" if for_update else "")), {"g": grant_id})).first()
    return dict(row._mapping) if row else None


async def update_fields(conn: AsyncConnection, grant_id: str, fields: dict[str, Any]) -> None:
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    assignments = ", ".join(f"{k} = :{k}" for k in fields)
    await conn.execute(text(f"UPDATE breakglass_grants SET {assignments}, updated_at = :now WHERE grant_id = :g"),
                       {**fields, "g": grant_id, "now": get_clock().now()})


async def add_history(conn: AsyncConnection, grant_id: str, from_status: str | None, to_status: str, rule: str,
                      reason: str, actor: str, detail: dict[str, Any] | None) -> None:
    await conn.execute(text(
        "INSERT INTO breakglass_history (grant_id, from_status, to_status, rule, reason_code, actor, detail)"
        " VALUES (:g, :f, :t, :rule, :reason, :actor, CAST(:detail AS jsonb))"),
        {"g": grant_id, "f": from_status, "t": to_status, "rule": rule, "reason": reason, "actor": actor,
         "detail": json.dumps(detail or {}, ensure_ascii=False, default=str)})


async def history(conn: AsyncConnection, grant_id: str) -> list[dict[str, Any]]:
    rows = await conn.execute(text("SELECT from_status, to_status, rule, reason_code, actor, at FROM breakglass_history"
                                   " WHERE grant_id = :g ORDER BY id"), {"g": grant_id})
    return [dict(r._mapping) for r in rows]


async def listing(conn: AsyncConnection, *, operator_code: str | None, status: str | None, limit: int, offset: int
                  ) -> tuple[int, list[dict[str, Any]]]:
    """Grants newest first; `operator_code`: only those naming or requested by that operator (None: all)."""
    where = ("(CAST(:op AS text) IS NULL OR operator_code = :op OR requested_by_operator = :op)"
             " AND (CAST(:st AS text) IS NULL OR status = :st)")
    params = {"op": operator_code, "st": status}
    total = (await conn.execute(text(f"SELECT count(*) FROM breakglass_grants WHERE {where}"), params)).scalar_one()
    rows = await conn.execute(text(f"SELECT {COLUMNS} FROM breakglass_grants WHERE {where}"
                                   " ORDER BY created_at DESC, grant_id DESC LIMIT :limit OFFSET :offset"),
                              {**params, "limit": limit, "offset": offset})
    return total, [dict(r._mapping) for r in rows]


def in_force(grant: str, login: str, operator: str) -> str:
    """SQL: grant row `grant` is in force at :now for user `login` of `operator` (SQL expressions).
    The one statement of the rule: here and in the API identity (accounts/repository.api_identity)."""
    return (f"{grant}.status = 'approved' AND {grant}.users @> ARRAY[{login}] AND {grant}.operator_code = {operator}"
            f" AND {grant}.starts_at <= :now AND {grant}.ends_at > :now")


async def active_for_user(conn: AsyncConnection, operator_code: str, login_id: str, now: datetime
                          ) -> list[dict[str, Any]]:
    rows = await conn.execute(text(
        f"SELECT {COLUMNS} FROM breakglass_grants g WHERE {in_force('g', 'CAST(:u AS text)', ':op')}"
        " ORDER BY grant_id"), {"u": login_id, "op": operator_code, "now": now})
    return [dict(r._mapping) for r in rows]


async def ended_before(conn: AsyncConnection, now: datetime) -> list[dict[str, Any]]:
    rows = await conn.execute(text(f"SELECT {COLUMNS} FROM breakglass_grants WHERE status IN ('requested', 'approved')"
                                   " AND ends_at <= :now ORDER BY grant_id FOR UPDATE SKIP LOCKED"), {"now": now})
    return [dict(r._mapping) for r in rows]


async def users_of(conn: AsyncConnection, operator_code: str, logins: list[str]) -> set[str]:
    rows = await conn.execute(text("SELECT login_id FROM users WHERE operator_code = :op"
                                   " AND login_id = ANY(CAST(:l AS text[]))"), {"op": operator_code, "l": logins})
    return {r[0] for r in rows}


async def operator_kind(conn: AsyncConnection, code: str) -> str | None:
    return (await conn.execute(text("SELECT kind FROM operators WHERE code = :c"), {"c": code})).scalar_one_or_none()
