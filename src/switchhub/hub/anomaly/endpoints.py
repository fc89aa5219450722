"""Anomaly report API (OCCTO admins and helpdesk): the findings, and acknowledging one with a note."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from switchhub.hub.anomaly import service
from switchhub.hub.anomaly.schemas import AcknowledgeRequest, Finding, FindingPage
from switchhub.hub.deps import actor_of, require, tx
from switchhub.kernel.caller import Caller

router = APIRouter(prefix="/api/v1", tags=["anomaly"])


@router.get("/anomalies", summary="アクセスログ分析の検出事象", response_model=FindingPage,
            openapi_extra={"x-interface-ids": ["SH_ANOMALIES"]})
async def anomalies(request: Request, status: Literal["open", "acknowledged"] | None = None,
                    page: Annotated[int, Query(ge=1, le=10000)] = 1,
                    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
                    caller: Caller = Depends(require(service.READ))) -> dict:
    async with tx(request) as conn:
        return await service.report(conn, actor_of(request, caller), status, page, per_page)


@router.post("/anomalies/{finding_id}:acknowledge", summary="検出事象を確認済みにする（確認メモ付き）",
             response_model=Finding, openapi_extra={"x-interface-ids": ["SH_ANOMALIES"]})
async def acknowledge(request: Request, body: AcknowledgeRequest,
                      finding_id: Annotated[int, Path(ge=1, le=2**62)],
                      caller: Caller = Depends(require(service.ACK))) -> dict:
    async with tx(request) as conn:
        return await service.acknowledge(conn, actor_of(request, caller), finding_id, body.note)
