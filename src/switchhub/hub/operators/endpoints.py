"""Thin routes of OCCTO's operator administration (`hub:operators:manage`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from switchhub.httpkit import json_body
from switchhub.hub.deps import actor_of, require, tx
from switchhub.hub.operators import service
from switchhub.hub.operators.schemas import (
    AdminUserCreated,
    AdminUserInput,
    OperatorChange,
    OperatorDetail,
    OperatorInput,
    OperatorPage,
    StatusChange,
)
from switchhub.kernel.caller import Caller

router = APIRouter(prefix="/api/v1/admin", tags=["administration"])
MANAGE = service.MANAGE
Code = Annotated[str, Path(pattern=r"^[A-Z0-9]{5}$", description="事業者コード")]
IDS = {"x-interface-ids": ["SH_ADMIN_OPERATORS"]}


@router.get("/operators", summary="事業者の管理一覧（20件ずつ）", response_model=OperatorPage, openapi_extra=IDS)
async def list_operators(request: Request, kind: Literal["occto", "retailer", "tso"] | None = None,
                         area: Annotated[str | None, Query(pattern=r"^(0[1-9]|10)$")] = None,
                         status: Literal["active", "suspended"] | None = None,
                         page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                         caller: Caller = Depends(require(MANAGE))) -> dict:
    async with tx(request) as conn:
        return await service.list_operators(conn, actor_of(request, caller), kind=kind, area=area, status=status,
                                            page=page)


@router.post("/operators", status_code=201, summary="事業者の登録", response_model=OperatorDetail, openapi_extra=IDS)
async def register_operator(request: Request, caller: Caller = Depends(require(MANAGE)),
                            body: OperatorInput = json_body(OperatorInput)) -> dict:
    async with tx(request) as conn:
        return await service.register_operator(conn, actor_of(request, caller), body.model_dump())


@router.get("/operators/{code}", summary="事業者の詳細", response_model=OperatorDetail, openapi_extra=IDS)
async def get_operator(code: Code, request: Request, caller: Caller = Depends(require(MANAGE))) -> dict:
    async with tx(request) as conn:
        return await service.get_operator(conn, actor_of(request, caller), code)


@router.patch("/operators/{code}", summary="事業者情報の変更", response_model=OperatorDetail, openapi_extra=IDS)
async def change_operator(code: Code, request: Request, caller: Caller = Depends(require(MANAGE)),
                          body: OperatorChange = json_body(OperatorChange)) -> dict:
    async with tx(request) as conn:
        return await service.change_operator(conn, actor_of(request, caller), code, body.model_dump())


@router.post("/operators/{code}:suspend", summary="事業者の利用停止（次のリクエストから拒否）",
             response_model=OperatorDetail, openapi_extra=IDS)
async def suspend_operator(code: Code, request: Request, caller: Caller = Depends(require(MANAGE)),
                           body: StatusChange = json_body(StatusChange)) -> dict:
    async with tx(request) as conn:
        return await service.set_operator_status(conn, actor_of(request, caller), code, "suspended", body.reason)


@router.post("/operators/{code}:restore", summary="事業者の利用再開", response_model=OperatorDetail,
             openapi_extra=IDS)
async def restore_operator(code: Code, request: Request, caller: Caller = Depends(require(MANAGE)),
                           body: StatusChange = json_body(StatusChange)) -> dict:
    async with tx(request) as conn:
        return await service.set_operator_status(conn, actor_of(request, caller), code, "active", body.reason)


@router.post("/operators/{code}/admin-user", status_code=201,
             summary="事業者の最初の管理者ユーザの登録（初期パスワードとTOTPはこの応答でのみ表示）",
             response_model=AdminUserCreated, openapi_extra=IDS)
async def register_first_admin(code: Code, request: Request, caller: Caller = Depends(require(MANAGE)),
                               body: AdminUserInput = json_body(AdminUserInput)) -> dict:
    async with tx(request) as conn:
        return await service.register_first_admin(conn, actor_of(request, caller), code, body.model_dump())
