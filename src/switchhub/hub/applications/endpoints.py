"""Thin routes for applications: validated at the hub, executed by the point's area."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from switchhub.contract.applications import SwitchEndRequest, SwitchStartRequest, WithdrawRequest
from switchhub.httpkit import json_body
from switchhub.hub.applications import service
from switchhub.hub.deps import actor_of, require, tx
from switchhub.hub.idempotency import idempotent
from switchhub.kernel.caller import Caller
from switchhub.kernel.spid import parse_spid

router = APIRouter(prefix="/api/v1", tags=["applications"])


async def _file(request: Request, caller: Caller, kind: str, body: SwitchStartRequest | SwitchEndRequest) -> object:
    parse_spid(body.spid)

    async def produce() -> dict:
        async with tx(request) as conn:
            return await service.file(conn, request.app.state.areas, actor_of(request, caller), kind, body)

    return await idempotent(request, caller, produce, 201)


@router.post("/applications/switch-start", status_code=201, summary="スイッチング開始申請 (switch-start)",
             openapi_extra={"x-interface-ids": ["IF_10610", "IF_K10610", "IF_F10610"]})
async def switch_start(request: Request, caller: Caller = Depends(require("hub:applications:write")),
                       body: SwitchStartRequest = json_body(SwitchStartRequest)):
    return await _file(request, caller, "switch-start", body)


@router.post("/applications/switch-end", status_code=201, summary="スイッチング廃止申請 (switch-end)",
             openapi_extra={"x-interface-ids": ["IF_10710", "IF_K10710", "IF_F10710"]})
async def switch_end(request: Request, caller: Caller = Depends(require("hub:applications:write")),
                     body: SwitchEndRequest = json_body(SwitchEndRequest)):
    return await _file(request, caller, "switch-end", body)


@router.get("/applications/{application_no}", summary="業務処理状況確認 (status of one application)",
            openapi_extra={"x-interface-ids": ["IF_10620", "IF_10720", "IF_K10620", "IF_F10620"]})
async def get_application(application_no: str, request: Request,
                          caller: Caller = Depends(require("hub:applications:read"))) -> dict:
    async with tx(request) as conn:
        return await service.status(conn, request.app.state.areas, actor_of(request, caller), application_no)


@router.post("/applications/{application_no}:withdraw", summary="申込の取消 (withdrawal, update flag 3)",
             openapi_extra={"x-interface-ids": ["IF_10610", "IF_10710"]})
async def withdraw(application_no: str, request: Request,
                   caller: Caller = Depends(require("hub:applications:write")),
                   body: WithdrawRequest = json_body(WithdrawRequest)):

    async def produce() -> dict:
        async with tx(request) as conn:
            return await service.withdraw(conn, request.app.state.areas, actor_of(request, caller), application_no,
                                          body.reason)

    return await idempotent(request, caller, produce)


@router.get("/applications", summary="異動申込一括取得 (applications feed from a cursor)",
            openapi_extra={"x-interface-ids": ["IF_11110", "IF_K11110", "IF_F11110"]})
async def feed(request: Request, cursor: Annotated[str, Query(max_length=400)] = "",
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               caller: Caller = Depends(require("hub:applications:read"))) -> dict:
    """Every stage change of the caller's applications, in order per area; the next cursor continues."""
    return await service.feed(request.app.state.areas, caller, cursor, limit)
