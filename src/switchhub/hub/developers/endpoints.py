"""Thin routes of the sandbox developers: the API twin of the `/sandbox/developers` page (same service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from switchhub.httpkit import json_body
from switchhub.hub.deps import actor_of, require, tx
from switchhub.hub.developers import service
from switchhub.hub.developers.schemas import Developer, DeveloperInput, DeveloperIssued, DeveloperPage
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["sandbox"])
IDS = {"x-interface-ids": ["SH_SANDBOX_DEVELOPERS"]}
LoginPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]


async def sandbox_only(request: Request) -> None:
    """After the permission, before the body is judged: outside a sandbox the operation does not exist
    (the service checks it again)."""
    if not request.app.state.settings.sandbox:
        raise NotFound("指定されたページはありません", "Not found")


def _admin(request: Request, caller: Caller):  # noqa: ANN202 - an Actor
    return actor_of(request, caller, purpose="administration")


@router.get("/sandbox/developers", summary="サンドボックス開発者の一覧（自社、サンドボックスのみ）",
            response_model=DeveloperPage, openapi_extra=IDS)
async def list_developers(request: Request, page: Annotated[int, Query(ge=1, le=10000)] = 1,
                          caller: Caller = Depends(require(service.PERMISSION))) -> dict:
    async with tx(request) as conn:
        return await service.list_developers(conn, _admin(request, caller), request.app.state.settings,
                                             page=page)


@router.post("/sandbox/developers", status_code=201, response_model=DeveloperIssued, openapi_extra=IDS,
             summary="サンドボックス開発者の作成（APIユーザ・APIクレデンシャル・クライアント証明書。秘密はこの応答でのみ表示）")
async def create_developer(request: Request, caller: Caller = Depends(require(service.PERMISSION)),
                           _sandbox: None = Depends(sandbox_only),
                           body: DeveloperInput = json_body(DeveloperInput)) -> dict:
    async with tx(request) as conn:
        return await service.create_developer(conn, _admin(request, caller), request.app.state.settings,
                                              login_id=body.login_id, display_name=body.display_name,
                                              email=body.email, now=get_clock().now())


@router.post("/sandbox/developers/{login_id}:revoke", response_model=Developer, openapi_extra=IDS,
             summary="サンドボックス開発者の失効（証明書の停止・APIユーザの削除）")
async def revoke_developer(login_id: LoginPath, request: Request,
                           caller: Caller = Depends(require(service.PERMISSION))) -> dict:
    async with tx(request) as conn:
        return await service.revoke_developer(conn, _admin(request, caller), request.app.state.settings,
                                              login_id, get_clock().now())
