"""Thin routes of the area's application API (/area/v1/applications…)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from switchhub.area.applications import service
from switchhub.area.deps import acting_caller
from switchhub.contract.applications import SwitchEndRequest, SwitchStartRequest, WithdrawRequest
from switchhub.httpkit import parse_body
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import NotFound

router = APIRouter(prefix="/area/v1")


def _served(request: Request, spid_or_no: str) -> bool:
    return spid_or_no[:2] in request.app.state.settings.served_areas


@router.post("/applications/switch-start")
async def switch_start(request: Request, caller: Caller = Depends(acting_caller)) -> dict:
    body = await parse_body(request, SwitchStartRequest)
    async with request.app.state.writer.begin() as conn:
        return await service.file(conn, caller, service.SWITCH_START, body, get_clock().now())


@router.post("/applications/switch-end")
async def switch_end(request: Request, caller: Caller = Depends(acting_caller)) -> dict:
    body = await parse_body(request, SwitchEndRequest)
    async with request.app.state.writer.begin() as conn:
        return await service.file(conn, caller, service.SWITCH_END, body, get_clock().now())


@router.get("/applications/{application_no}")
async def get_application(application_no: str, request: Request, caller: Caller = Depends(acting_caller)) -> dict:
    if not _served(request, application_no):
        raise NotFound("指定された申込はありません", "No such application")
    async with request.app.state.writer.connect() as conn:
        return await service.status(conn, caller, application_no)


@router.post("/applications/{application_no}:withdraw")
async def withdraw(application_no: str, request: Request, caller: Caller = Depends(acting_caller)) -> dict:
    body = await parse_body(request, WithdrawRequest)
    async with request.app.state.writer.begin() as conn:
        return await service.withdraw(conn, caller, application_no, body.reason, get_clock().now())


@router.get("/applications")
async def feed(request: Request, area: Annotated[str, Query(pattern=r"^(0[1-9]|10)$")],
               after: Annotated[int, Query(ge=0)] = 0,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100, caller: Caller = Depends(acting_caller)) -> dict:
    async with request.app.state.writer.connect() as conn:
        return await service.feed(conn, caller, area, after, limit)
