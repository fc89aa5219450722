"""The access log (security.md): each operator reads its own operator's audit records; OCCTO reads all."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from switchhub.hub.audit import service
from switchhub.hub.audit.schemas import AuditPage
from switchhub.hub.deps import actor_of, require
from switchhub.kernel.caller import Caller

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit-records", summary="アクセスログ（自社分。広域機関は全事業者）",
            response_model=AuditPage, openapi_extra={"x-interface-ids": ["SH_AUDIT_LOG"]})
async def audit_records(request: Request, action: Annotated[str, Query(max_length=80)] = "",
                        operator_code: Annotated[str, Query(max_length=5)] = "",
                        page: Annotated[int, Query(ge=1, le=10000)] = 1,
                        per_page: Annotated[int, Query(ge=1, le=100)] = 20,
                        caller: Caller = Depends(require("hub:audit:read"))) -> dict:
    filters = service.AuditFilters(operator_code=operator_code, action=action)
    async with request.app.state.reader.connect() as conn:
        return await service.search(conn, actor_of(request, caller), filters, page, per_page)
