"""Thin routes of notices: the caller's notices with read marks, and the OCCTO admin's CRUD."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from switchhub.httpkit import json_body
from switchhub.hub.deps import actor_of, require, tx
from switchhub.hub.notices import service
from switchhub.hub.notices.schemas import Notice, NoticeInput, NoticePage, NoticeWithdrawInput
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock

router = APIRouter(prefix="/api/v1", tags=["notices"])
NoticeId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Page = Annotated[int, Query(ge=1, le=10000)]
IDS = {"x-interface-ids": ["SH_NOTICES"]}


def _data(body: NoticeInput) -> service.NoticeData:
    return service.NoticeData(body.title, body.body, body.audience, body.operator_code, body.starts_at, body.ends_at)


@router.get("/notices", summary="インフォメーション一覧（自分宛て・既読フラグ付き）", response_model=NoticePage,
            openapi_extra=IDS)
async def my_notices(request: Request, page: Page = 1, caller: Caller = Depends(require(service.READ))) -> dict:
    async with tx(request) as conn:
        return await service.list_mine(conn, caller, page, get_clock().now())


@router.post("/notices/{notice_id}:read", summary="インフォメーションを既読にする", response_model=Notice,
             openapi_extra=IDS)
async def read_notice(notice_id: NoticeId, request: Request, caller: Caller = Depends(require(service.READ))) -> dict:
    async with tx(request) as conn:
        return await service.mark_read(conn, actor_of(request, caller), notice_id, get_clock().now())


@router.get("/notices:all", summary="インフォメーションの管理一覧（広域機関管理者）", response_model=NoticePage,
            openapi_extra=IDS)
async def all_notices(request: Request, page: Page = 1, caller: Caller = Depends(require(service.MANAGE))) -> dict:
    async with tx(request) as conn:
        return await service.list_all(conn, caller, page)


@router.post("/notices", status_code=201, summary="インフォメーションの登録", response_model=Notice,
             openapi_extra=IDS)
async def create_notice(request: Request, caller: Caller = Depends(require(service.MANAGE)),
                        body: NoticeInput = json_body(NoticeInput)) -> dict:
    async with tx(request) as conn:
        return await service.create(conn, actor_of(request, caller), _data(body), get_clock().now())


@router.get("/notices/{notice_id}", summary="インフォメーションの取得（管理）", response_model=Notice,
            openapi_extra=IDS)
async def get_notice(notice_id: NoticeId, request: Request, caller: Caller = Depends(require(service.MANAGE))) -> dict:
    async with tx(request) as conn:
        return await service.get_any(conn, caller, notice_id)


@router.put("/notices/{notice_id}", summary="インフォメーションの変更", response_model=Notice, openapi_extra=IDS)
async def change_notice(notice_id: NoticeId, request: Request, caller: Caller = Depends(require(service.MANAGE)),
                        body: NoticeInput = json_body(NoticeInput)) -> dict:
    async with tx(request) as conn:
        return await service.change(conn, actor_of(request, caller), notice_id, _data(body), get_clock().now())


@router.post("/notices/{notice_id}:withdraw", status_code=204, summary="インフォメーションの取り下げ",
             openapi_extra=IDS)
async def withdraw_notice(notice_id: NoticeId, request: Request,
                          caller: Caller = Depends(require(service.MANAGE)),
                          body: NoticeWithdrawInput = json_body(NoticeWithdrawInput)) -> None:
    async with tx(request) as conn:
        await service.withdraw(conn, actor_of(request, caller), notice_id, get_clock().now(), body.reason.strip())
