"""Append-only audit records (the table refuses UPDATE and DELETE by trigger)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass
class AuditEntry:
    action: str  # source:subject:action style, e.g. "api.supply_point.lookup"
    operator_code: str | None = None
    user_login: str | None = None
    cert_fingerprint: str | None = None
    resource_type: str = ""
    resource_ids: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    purpose: str = ""
    outcome: str = "ok"
    item_count: int = 0
    remote_addr: str = ""
    request_id: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


_INSERT = text(
    "INSERT INTO audit_records (request_id, operator_code, user_login, cert_fingerprint, action, resource_type,"
    " resource_ids, fields, purpose, outcome, item_count, remote_addr, detail) VALUES (:request_id, :operator_code,"
    " :user_login, :cert_fingerprint, :action, :resource_type, :resource_ids, :fields, :purpose, :outcome,"
    " :item_count, :remote_addr, CAST(:detail AS jsonb))"
)


async def write(conn: AsyncConnection, *entries: AuditEntry) -> None:
    if not entries:
        return
    await conn.execute(_INSERT, [_params(e) for e in entries])


def _params(e: AuditEntry) -> dict[str, Any]:
    return {
        "request_id": e.request_id, "operator_code": e.operator_code, "user_login": e.user_login,
        "cert_fingerprint": e.cert_fingerprint, "action": e.action, "resource_type": e.resource_type,
        "resource_ids": list(e.resource_ids), "fields": sorted(e.fields), "purpose": e.purpose,
        "outcome": e.outcome, "item_count": e.item_count, "remote_addr": e.remote_addr,
        "detail": json.dumps(e.detail, ensure_ascii=False, default=str),
    }


async def search(conn: AsyncConnection, *, operator_code: str | None, action: str | None = None,
                 limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    rows = await conn.execute(
        text(
            "SELECT id, at, request_id, operator_code, user_login, cert_fingerprint, action, resource_type,"
            " resource_ids, fields, purpose, outcome, item_count, remote_addr, detail FROM audit_records"
            " WHERE (CAST(:op AS text) IS NULL OR operator_code = :op)"
            " AND (CAST(:action AS text) IS NULL OR action = :action)"
            " ORDER BY id DESC LIMIT :limit OFFSET :offset"
        ),
        {"op": operator_code, "action": action, "limit": limit, "offset": offset},
    )
    return [dict(r._mapping) for r in rows]
