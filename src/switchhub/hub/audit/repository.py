"""Append-only audit records (the table refuses UPDATE and DELETE by trigger)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db import driver
from switchhub.kernel.clock import get_clock


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


#: `at` by the application clock (the access log shows it; a moved sandbox clock moves it too)
_INSERT_SQL = (
    "INSERT INTO audit_records (at, request_id, operator_code, user_login, cert_fingerprint, action,"
    " resource_type, resource_ids, fields, purpose, outcome, item_count, remote_addr, detail) VALUES (:at,"
    " :request_id, :operator_code, :user_login, :cert_fingerprint, :action, :resource_type, :resource_ids,"
    " :fields, :purpose, :outcome, :item_count, :remote_addr, CAST(:detail AS jsonb))"
)
#: many records from a JSON array of their columns (`ord`: their order; `claim`: group_commit's)
INSERT_ROWS_SQL = (
    "INSERT INTO audit_records (at, request_id, operator_code, user_login, cert_fingerprint, action,"
    " resource_type, resource_ids, fields, purpose, outcome, item_count, remote_addr, detail)"
    " SELECT at, request_id, operator_code, user_login, cert_fingerprint, action, resource_type,"
    " resource_ids, fields, purpose, outcome, item_count, remote_addr, detail"
    " FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(at timestamptz, request_id text, operator_code text,"
    " user_login text, cert_fingerprint text, action text, resource_type text, resource_ids text[],"
    " fields text[], purpose text, outcome text, item_count integer, remote_addr text, detail jsonb, ord integer,"
    " claim integer)"
)
ORDERED = " ORDER BY ord"  # the rows keep their order: ids ascend within a write as with separate statements


async def write(conn: AsyncConnection, *entries: AuditEntry) -> None:
    """The records in one statement, held with the transaction's other writes where it holds them
    (db/driver.hold)."""
    if not entries:
        return
    at = get_clock().now()
    if len(entries) == 1:
        await driver.write(conn, _INSERT_SQL, {**_params(entries[0]), "at": at})
        return
    rows = [{**row_params(e), "at": at, "ord": i} for i, e in enumerate(entries)]
    await driver.write(conn, INSERT_ROWS_SQL + ORDERED, {"rows": json.dumps(rows, ensure_ascii=False, default=str)})


def _params(e: AuditEntry) -> dict[str, Any]:
    return {**row_params(e), "detail": json.dumps(e.detail, ensure_ascii=False, default=str)}


def row_params(e: AuditEntry) -> dict[str, Any]:
    """The columns of `e` but `at` (the detail as a dict)."""
    return {
        "request_id": e.request_id, "operator_code": e.operator_code, "user_login": e.user_login,
        "cert_fingerprint": e.cert_fingerprint, "action": e.action, "resource_type": e.resource_type,
        "resource_ids": list(e.resource_ids), "fields": sorted(e.fields), "purpose": e.purpose,
        "outcome": e.outcome, "item_count": e.item_count, "remote_addr": e.remote_addr, "detail": e.detail,
    }


async def search(conn: AsyncConnection, *, operator_code: str | None, action: str | None = None,
                 limit: int = 100, offset: int = 0, user_login: str | None = None,
                 at_from: datetime | None = None, at_before: datetime | None = None) -> list[dict[str, Any]]:
    where, params = _where(operator_code, action, user_login, at_from, at_before)
    rows = await conn.execute(
        text(f"SELECT {_COLUMNS} FROM audit_records WHERE {where} ORDER BY id DESC LIMIT :limit OFFSET :offset"),
        {**params, "limit": limit, "offset": offset},
    )
    return [dict(r._mapping) for r in rows]


_COLUMNS = ("id, at, request_id, operator_code, user_login, cert_fingerprint, action, resource_type,"
            " resource_ids, fields, purpose, outcome, item_count, remote_addr, detail")


def _where(operator_code: str | None, action: str | None, user_login: str | None, at_from: datetime | None,
           at_before: datetime | None) -> tuple[str, dict[str, Any]]:
    where = ("(CAST(:op AS text) IS NULL OR operator_code = :op)"
             " AND (CAST(:action AS text) IS NULL OR action = :action)"
             " AND (CAST(:user AS text) IS NULL OR user_login = :user)"
             " AND (CAST(:at_from AS timestamptz) IS NULL OR at >= :at_from)"
             " AND (CAST(:at_before AS timestamptz) IS NULL OR at < :at_before)")
    return where, {"op": operator_code, "action": action, "user": user_login, "at_from": at_from,
                   "at_before": at_before}


async def count(conn: AsyncConnection, *, operator_code: str | None, action: str | None = None,
                user_login: str | None = None, at_from: datetime | None = None, at_before: datetime | None = None,
                cap: int = 10000) -> int:
    """How many records match (counted up to `cap`, for the pager)."""
    where, params = _where(operator_code, action, user_login, at_from, at_before)
    return (await conn.execute(text(f"SELECT count(*) FROM (SELECT 1 FROM audit_records WHERE {where} LIMIT :cap) x"),
                               {**params, "cap": cap})).scalar_one()


async def stream(conn: AsyncConnection, *, operator_code: str | None, action: str | None = None,
                 user_login: str | None = None, at_from: datetime | None = None, at_before: datetime | None = None
                 ) -> AsyncIterator[dict[str, Any]]:
    """Every matching record, newest first, read in batches by a server-side cursor (the CSV download)."""
    where, params = _where(operator_code, action, user_login, at_from, at_before)
    result = await conn.stream(text(f"SELECT {_COLUMNS} FROM audit_records WHERE {where} ORDER BY id DESC"), params)
    async for row in result:
        yield dict(row._mapping)
