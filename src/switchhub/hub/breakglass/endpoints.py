"""Thin routes of the break-glass API: parse, make the actor, call one service function."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from switchhub.httpkit import json_body
from switchhub.hub.breakglass import service
from switchhub.hub.breakglass.schemas import GRANT_ID_PATTERN, Grant, GrantDecision, GrantPage, GrantRequest
from switchhub.hub.deps import actor_of, require, tx
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock

router = APIRouter(prefix="/api/v1", tags=["breakglass"])
GrantId = Annotated[str, Path(pattern=GRANT_ID_PATTERN)]
IDS = {"x-interface-ids": ["SH_BREAKGLASS"]}


@router.post("/breakglass-grants", status_code=201, summary="緊急時アクセスの申請 (request break-glass access)",
             response_model=Grant, openapi_extra=IDS)
async def request_grant(request: Request, caller: Caller = Depends(require("hub:breakglass:request")),
                        body: GrantRequest = json_body(GrantRequest)) -> dict:
    async with tx(request) as conn:
        return await service.request(conn, actor_of(request, caller), body, get_clock().now())


@router.get("/breakglass-grants", summary="緊急時アクセス許可の一覧", response_model=GrantPage, openapi_extra=IDS)
async def list_grants(request: Request,
                      status: Annotated[str, Query(pattern=r"^(requested|approved|rejected|revoked|expired)?$")] = "",
                      page: Annotated[int, Query(ge=1, le=10000)] = 1,
                      per_page: Annotated[int, Query(ge=1, le=100)] = 20,
                      caller: Caller = Depends(require("hub:breakglass:read"))) -> dict:
    async with tx(request) as conn:
        return await service.listing(conn, actor_of(request, caller), status, page, per_page, get_clock().now())


@router.get("/breakglass-grants/{grant_id}", summary="緊急時アクセス許可の詳細", response_model=Grant,
            openapi_extra=IDS)
async def get_grant(grant_id: GrantId, request: Request,
                    caller: Caller = Depends(require("hub:breakglass:read"))) -> dict:
    async with tx(request) as conn:
        return await service.detail(conn, actor_of(request, caller), grant_id, get_clock().now())


@router.post("/breakglass-grants/{grant_id}:approve", summary="緊急時アクセスの承認（申請者以外の広域機関管理者）",
             response_model=Grant, openapi_extra=IDS)
async def approve(grant_id: GrantId, request: Request, caller: Caller = Depends(require("hub:breakglass:approve")),
                  body: GrantDecision = json_body(GrantDecision)) -> dict:
    async with tx(request) as conn:
        return await service.approve(conn, actor_of(request, caller), grant_id, body.note, get_clock().now())


@router.post("/breakglass-grants/{grant_id}:reject", summary="緊急時アクセスの却下", response_model=Grant,
             openapi_extra=IDS)
async def reject(grant_id: GrantId, request: Request, caller: Caller = Depends(require("hub:breakglass:approve")),
                 body: GrantDecision = json_body(GrantDecision)) -> dict:
    async with tx(request) as conn:
        return await service.reject(conn, actor_of(request, caller), grant_id, body.note, get_clock().now())


@router.post("/breakglass-grants/{grant_id}:revoke", summary="緊急時アクセスの取消（早期終了）", response_model=Grant,
             openapi_extra=IDS)
async def revoke(grant_id: GrantId, request: Request, caller: Caller = Depends(require("hub:breakglass:request")),
                 body: GrantDecision = json_body(GrantDecision)) -> dict:
    # declared as request (held by the operators' admins and OCCTO staff); the service then requires
    # the approve permission, or the request permission for a grant naming the caller's own operator
    async with tx(request) as conn:
        return await service.revoke(conn, actor_of(request, caller), grant_id, body.note, get_clock().now())
