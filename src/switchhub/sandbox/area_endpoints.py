"""The area system's sandbox operations (sandbox mode only, the hub's certificate only like every
area route): the hub sets the tenant's clock offset here and asks for the reset. Not part of the
published contract: a grid operator's own system never has them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from switchhub.area.deps import acting_caller
from switchhub.httpkit import json_body
from switchhub.kernel.caller import Caller
from switchhub.sandbox import clock as sandbox_clock
from switchhub.sandbox import repository as sandbox_repo
from switchhub.sandbox import snapshot
from switchhub.sandbox.schemas import AreaClockRequest

router = APIRouter(prefix="/area/v1/sandbox", tags=["sandbox"])


def _answer(clock: sandbox_clock.SandboxClock) -> dict:
    return {"now": clock.now().isoformat(), "offset_seconds": clock.offset_seconds}


@router.post("/clock", summary="サンドボックスの時計（ハブから）")
async def set_clock(
    request: Request, caller: Caller = Depends(acting_caller), body: Any = json_body(AreaClockRequest)
) -> dict:
    clock = sandbox_clock.install()
    async with request.app.state.engine.begin() as conn:
        await sandbox_repo.write_offset(conn, body.offset_seconds, f"hub:{caller.operator_code}", clock.now())
    clock.offset_seconds = body.offset_seconds
    return _answer(clock)


@router.post("/reset", summary="サンドボックスのリセット（ハブから）")
async def reset(request: Request, caller: Caller = Depends(acting_caller)) -> dict:
    from switchhub.area.app import dispose_pools

    state = request.app.state
    url = state.engine.url.render_as_string(hide_password=False)
    await dispose_pools(state)
    await snapshot.restore_async(url)
    clock = sandbox_clock.install()
    async with state.engine.begin() as conn:
        await sandbox_repo.write_offset(conn, 0, f"hub:{caller.operator_code}", clock.now())
    clock.offset_seconds = 0
    return _answer(clock)
