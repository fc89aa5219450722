"""The access log (security.md): each operator reads its own operator's audit records; OCCTO reads all."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from switchhub.hub.audit import repository
from switchhub.hub.deps import require
from switchhub.kernel.caller import Caller

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit-records", summary="アクセスログ（自社分。広域機関は全事業者）",
            openapi_extra={"x-interface-ids": ["SH_AUDIT_LOG"]})
async def audit_records(request: Request, action: Annotated[str, Query(max_length=80)] = "",
                        operator_code: Annotated[str, Query(max_length=5)] = "",
                        page: Annotated[int, Query(ge=1, le=10000)] = 1,
                        per_page: Annotated[int, Query(ge=1, le=100)] = 20,
                        caller: Caller = Depends(require("hub:audit:read"))) -> dict:
    scope = (operator_code.strip().upper() or None) if caller.is_occto else caller.operator_code
    async with request.app.state.reader.connect() as conn:
        rows = await repository.search(conn, operator_code=scope, action=action.strip() or None, limit=per_page,
                                       offset=(page - 1) * per_page)
    items = [{**r, "at": r["at"].isoformat(), "operator_code": r["operator_code"] or None,
              "cert_fingerprint": r["cert_fingerprint"] or None} for r in rows]
    return {"page": page, "per_page": per_page, "items": items}
