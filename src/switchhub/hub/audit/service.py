"""Reading the access log (security.md): each operator its own operator's records, OCCTO staff all.

The API route, the access-log page and the helpdesk's view all call these functions; the scope is
decided here (an operator filter given by a non-OCCTO caller is replaced by its own operator). The
CSV download is a bulk read of the log and is itself audited (`audit.export`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import permissions
from switchhub.hub.audit import repository
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import JST
from switchhub.kernel.errors import IssueCollector

CSV_COLUMNS = ("id", "at", "operator_code", "user_login", "action", "resource_type", "resource_ids", "fields",
               "purpose", "outcome", "item_count", "remote_addr", "cert_fingerprint", "request_id", "detail")


@dataclass(frozen=True)
class AuditFilters:
    operator_code: str = ""
    user_login: str = ""
    action: str = ""
    date_from: date | None = None  # JST dates, inclusive
    date_to: date | None = None


def _args(caller: Caller, f: AuditFilters) -> dict[str, Any]:
    if f.date_from and f.date_to and f.date_from > f.date_to:
        issues = IssueCollector()
        issues.add("date_to", "range_reversed", f"終了日 {f.date_to} が開始日 {f.date_from} より前です",
                   f"date_to ({f.date_to}) is before date_from ({f.date_from})")
        issues.raise_if_any()
    operator = (f.operator_code.strip().upper() or None) if caller.is_occto else caller.operator_code
    return {"operator_code": operator, "action": f.action.strip() or None, "user_login": f.user_login.strip() or None,
            "at_from": datetime.combine(f.date_from, time(0), tzinfo=JST) if f.date_from else None,
            "at_before": datetime.combine(f.date_to + timedelta(days=1), time(0), tzinfo=JST) if f.date_to else None}


def _shape(r: dict[str, Any]) -> dict[str, Any]:
    return {**r, "at": r["at"].isoformat(), "operator_code": r["operator_code"] or None,
            "cert_fingerprint": r["cert_fingerprint"] or None}


async def search(conn: AsyncConnection, actor: Actor, f: AuditFilters, page: int, per_page: int,
                 *, with_total: bool = False) -> dict[str, Any]:
    permissions.check(actor.caller, "hub:audit:read")
    args = _args(actor.caller, f)
    rows = await repository.search(conn, limit=per_page, offset=(page - 1) * per_page, **args)
    out: dict[str, Any] = {"page": page, "per_page": per_page, "items": [_shape(r) for r in rows]}
    if with_total:
        out["total"] = await repository.count(conn, **args)
    return out


async def record_export(conn: AsyncConnection, actor: Actor, f: AuditFilters) -> None:
    """Writes the download's own audit record (its transaction commits before the first row leaves)."""
    permissions.check(actor.caller, "hub:audit:read")
    args = _args(actor.caller, f)
    await write(conn, actor.entry("audit.export", resource_type="audit_record",
                                  detail={k: v for k, v in args.items() if v is not None}))


async def export_rows(conn: AsyncConnection, actor: Actor, f: AuditFilters) -> AsyncIterator[dict[str, Any]]:
    """Every matching record for the CSV download, newest first, streamed from the database."""
    permissions.check(actor.caller, "hub:audit:read")
    async for r in repository.stream(conn, **_args(actor.caller, f)):
        yield _shape(r)
