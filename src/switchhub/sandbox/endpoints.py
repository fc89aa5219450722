"""The hub's sandbox API (sandbox mode only: a production hub has no such routes and answers 404).

`GET/POST /api/v1/sandbox/clock` read and move the tenant's clock; `POST /api/v1/sandbox/reset`
restores the tenant's data as it was when the sandbox was created (docs/sandbox.md).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from switchhub.httpkit import json_body
from switchhub.hub.deps import actor_of, require, tx
from switchhub.kernel.caller import Caller
from switchhub.sandbox import service
from switchhub.sandbox.schemas import ClockAnswer, MoveClock, ResetAnswer

router = APIRouter(prefix="/api/v1/sandbox", tags=["sandbox"])


def _tenant(request: Request) -> str:
    return request.app.state.settings.sandbox_tenant


@router.get(
    "/clock",
    summary="サンドボックスの時計",
    response_model=ClockAnswer,
    openapi_extra={"x-interface-ids": ["SH_SANDBOX"]},
)
async def get_clock(request: Request, caller: Caller = Depends(require(service.CLOCK))) -> dict:
    return service.read_clock(actor_of(request, caller), _tenant(request))


@router.post(
    "/clock",
    summary="サンドボックスの時計を進める（期間・日時・次の検針日）",
    response_model=ClockAnswer,
    openapi_extra={"x-interface-ids": ["SH_SANDBOX"]},
)
async def move_clock(
    request: Request, caller: Caller = Depends(require(service.CLOCK)), body: Any = json_body(MoveClock)
) -> dict:
    async with tx(request) as conn:
        return await service.move_clock(
            conn, actor_of(request, caller), request.app.state.areas, body, _tenant(request)
        )


@router.post(
    "/reset",
    summary="サンドボックスを作成時の状態に戻す",
    response_model=ResetAnswer,
    openapi_extra={"x-interface-ids": ["SH_SANDBOX"]},
)
async def reset(request: Request, caller: Caller = Depends(require(service.RESET))) -> dict:
    actor = actor_of(request, caller)
    # two steps: the database the route's transaction runs in is dropped and created in between
    await service.restore_tenant(actor, request.app.state.areas, request.app.state.engine)
    async with tx(request) as conn:
        return await service.record_reset(conn, actor, _tenant(request))
