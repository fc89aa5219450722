"""Thin routes of the relay API (IS_20110–IS_20410): parse, make the actor, call one service function."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from switchhub.httpkit import parse_body
from switchhub.hub.deps import actor_of, require, tx
from switchhub.hub.idempotency import idempotent
from switchhub.hub.relays import service
from switchhub.hub.relays.schemas import RelayCorrection, RelayDecisionInput, RelayRegistration, RelayWithdrawal
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.spid import parse_spid

router = APIRouter(prefix="/api/v1", tags=["relays"])


@router.post("/relays", status_code=201, summary="廃止取次の登録 (register a relay)",
             openapi_extra={"x-interface-ids": ["IS_20110"]})
async def register(request: Request, caller: Caller = Depends(require("hub:relays:write"))):
    body = await parse_body(request, RelayRegistration)

    async def produce() -> dict:
        async with tx(request) as conn:
            return await service.register(conn, request.app.state.areas, actor_of(request, caller), body,
                                          get_clock().now())

    return await idempotent(request, caller, produce, 201)


@router.get("/relays", summary="廃止取次一覧 (relays I registered: role=new; addressed to me: role=current)",
            openapi_extra={"x-interface-ids": ["IS_20210", "IS_20310"]})
async def list_relays(
    request: Request, role: Literal["new", "current"] = "new",
    relay_no: Annotated[str, Query(max_length=20)] = "", spid: Annotated[str, Query(max_length=40)] = "",
    counterpart_code: Annotated[str, Query(max_length=5)] = "", counterpart_name: Annotated[str, Query(max_length=60)] = "",
    customer_name: Annotated[str, Query(max_length=60)] = "",
    status: Annotated[str, Query(pattern=r"^(0[1-7])?$")] = "",
    registered_from: dt.date | None = None, registered_to: dt.date | None = None,
    area: Annotated[str, Query(pattern=r"^((0[1-9]|10))?$")] = "",
    page: Annotated[int, Query(ge=1, le=10000)] = 1, per_page: Annotated[int, Query(ge=1, le=100)] = 20,
    caller: Caller = Depends(require("hub:relays:read")),
) -> dict:
    filters = {"relay_no": relay_no.strip(), "spid": parse_spid(spid) if spid.strip() else "",
               "counterpart_code": counterpart_code.strip().upper(), "counterpart_name": counterpart_name.strip(),
               "customer_name": customer_name.strip(), "status": status, "registered_from": registered_from,
               "registered_to": registered_to, "area": area}
    async with tx(request) as conn:
        return await service.listing(conn, caller, role, filters, page, per_page)


@router.get("/relays/{relay_no}", summary="廃止取次の詳細", openapi_extra={"x-interface-ids": ["IS_20210"]})
async def get_relay(relay_no: str, request: Request, caller: Caller = Depends(require("hub:relays:read"))) -> dict:
    async with tx(request) as conn:
        return await service.detail(conn, caller, relay_no)


@router.patch("/relays/{relay_no}", summary="廃止取次の訂正（判断待ちの間）", openapi_extra={"x-interface-ids": ["IS_20110"]})
async def correct(relay_no: str, request: Request, caller: Caller = Depends(require("hub:relays:write"))) -> dict:
    body = await parse_body(request, RelayCorrection)
    async with tx(request) as conn:
        return await service.correct(conn, actor_of(request, caller), relay_no, body, get_clock().now())


@router.post("/relays/{relay_no}/decision", summary="廃止取次の判断 (OK / NG)",
             openapi_extra={"x-interface-ids": ["IS_20410"]})
async def decide(relay_no: str, request: Request, caller: Caller = Depends(require("hub:relays:write"))):
    body = await parse_body(request, RelayDecisionInput)

    async def produce() -> dict:
        async with tx(request) as conn:
            return await service.decide(conn, actor_of(request, caller), relay_no, body, get_clock().now())

    return await idempotent(request, caller, produce)


@router.post("/relays/{relay_no}:withdraw", summary="廃止取次の取消（新小売・広域機関ヘルプデスク）",
             openapi_extra={"x-interface-ids": ["SH_RELAY_WITHDRAW"]})
async def withdraw(relay_no: str, request: Request, caller: Caller = Depends(require("hub:relays:read"))):
    # declared as read (held by both retailers and the helpdesk); the service then requires the
    # retailer's write or the helpdesk permission, whichever applies to the caller
    body = await parse_body(request, RelayWithdrawal)

    async def produce() -> dict:
        async with tx(request) as conn:
            return await service.withdraw(conn, actor_of(request, caller), relay_no, body.reason, get_clock().now())

    return await idempotent(request, caller, produce)
