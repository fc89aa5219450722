"""Thin routes of the API repository's operating information (read: everyone; change: OCCTO admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from switchhub.httpkit import json_body
from switchhub.hub.apiinfo import service
from switchhub.hub.apiinfo.schemas import ApiInfo, ApiInfoChange, ApiInfoEntry, ApiInfoInput
from switchhub.hub.deps import actor_of, require, tx
from switchhub.kernel.caller import Caller

router = APIRouter(prefix="/api/v1", tags=["api-repository"])
EntryId = Annotated[int, Path(ge=1, le=2**63 - 1)]
IDS = {"x-interface-ids": ["SH_API_INFO"]}


@router.get("/api-info", summary="API運用情報（メンテナンス・インタフェースのバージョン・変更履歴）",
            response_model=ApiInfo, openapi_extra=IDS)
async def read_api_info(request: Request, caller: Caller = Depends(require(service.READ))) -> dict:
    async with tx(request) as conn:
        return await service.read(conn, caller)


@router.post("/api-info/entries", status_code=201, summary="API運用情報の登録", response_model=ApiInfoEntry,
             openapi_extra=IDS)
async def create_api_info_entry(request: Request, caller: Caller = Depends(require(service.MANAGE)),
                 body: ApiInfoInput = json_body(ApiInfoInput)) -> dict:
    async with tx(request) as conn:
        return await service.create(conn, actor_of(request, caller), body.model_dump())


@router.patch("/api-info/entries/{entry_id}", summary="API運用情報の変更", response_model=ApiInfoEntry,
              openapi_extra=IDS)
async def change_api_info_entry(entry_id: EntryId, request: Request, caller: Caller = Depends(require(service.MANAGE)),
                 body: ApiInfoChange = json_body(ApiInfoChange)) -> dict:
    async with tx(request) as conn:
        return await service.update(conn, actor_of(request, caller), entry_id, body.model_dump())


@router.delete("/api-info/entries/{entry_id}", status_code=204, summary="API運用情報の削除", openapi_extra=IDS)
async def delete_api_info_entry(entry_id: EntryId, request: Request, caller: Caller = Depends(require(service.MANAGE))) -> None:
    async with tx(request) as conn:
        await service.delete(conn, actor_of(request, caller), entry_id)
