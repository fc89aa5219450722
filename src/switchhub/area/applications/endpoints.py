"""Thin routes of the area's application API (/area/v1/applications…)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from switchhub.area.applications import service
from switchhub.area.deps import acting_caller
from switchhub.contract.applications import (
    ApplicationAnswer,
    AreaFeedPage,
    SwitchEndRequest,
    SwitchStartRequest,
    WithdrawRequest,
)
from switchhub.httpkit import json_body
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import NotFound

router = APIRouter(prefix="/area/v1", tags=["applications"])
# The answers go out as the service built them; the contract's models document them.
ANSWER = {200: {"model": ApplicationAnswer, "description": "the application as the caller may see it"}}


def _served(request: Request, spid_or_no: str) -> bool:
    return spid_or_no[:2] in request.app.state.settings.served_areas


@router.post("/applications/switch-start", summary="スイッチング開始", response_model=None, responses=ANSWER)
async def switch_start(request: Request, caller: Caller = Depends(acting_caller),
                       body: SwitchStartRequest = json_body(SwitchStartRequest)) -> dict:
    async with request.app.state.writer.begin() as conn:
        return await service.file(conn, caller, service.SWITCH_START, body, get_clock().now())


@router.post("/applications/switch-end", summary="スイッチング廃止", response_model=None, responses=ANSWER)
async def switch_end(request: Request, caller: Caller = Depends(acting_caller),
                     body: SwitchEndRequest = json_body(SwitchEndRequest)) -> dict:
    async with request.app.state.writer.begin() as conn:
        return await service.file(conn, caller, service.SWITCH_END, body, get_clock().now())


@router.get("/applications/{application_no}", summary="業務処理状況確認", response_model=None, responses=ANSWER)
async def get_application(application_no: str, request: Request, caller: Caller = Depends(acting_caller)) -> dict:
    if not _served(request, application_no):
        raise NotFound("指定された申込はありません", "No such application")
    async with request.app.state.writer.connect() as conn:
        return await service.status(conn, caller, application_no)


@router.post("/applications/{application_no}:withdraw", summary="申込の取消", response_model=None, responses=ANSWER)
async def withdraw(application_no: str, request: Request, caller: Caller = Depends(acting_caller),
                   body: WithdrawRequest = json_body(WithdrawRequest)) -> dict:
    async with request.app.state.writer.begin() as conn:
        return await service.withdraw(conn, caller, application_no, body.reason, get_clock().now())


@router.get("/applications", summary="異動申込の変更一覧（フィード）", response_model=None,
            responses={200: {"model": AreaFeedPage, "description": "changes after `after`"}})
async def feed(request: Request, area: Annotated[str, Query(pattern=r"^(0[1-9]|10)$")],
               after: Annotated[int, Query(ge=0)] = 0,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100, caller: Caller = Depends(acting_caller)) -> dict:
    async with request.app.state.writer.connect() as conn:
        return await service.feed(conn, caller, area, after, limit)
