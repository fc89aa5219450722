"""Thin routes of the relay API (IS_20110–IS_20410): parse, make the actor, call one service function."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from switchhub.httpkit import json_body
from switchhub.hub.deps import actor_of, require, tx
from switchhub.hub.idempotency import IDEMPOTENCY_KEY, idempotent
from switchhub.hub.relays import service
from switchhub.hub.relays.schemas import (
    Relay,
    RelayCorrection,
    RelayDecisionInput,
    RelayPage,
    RelayRegistration,
    RelayWithdrawal,
)
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import InputError
from switchhub.kernel.spid import parse_spid

router = APIRouter(prefix="/api/v1", tags=["relays"])
# YYYY-MM-DD only: FastAPI's lax date parsing would take `0` for 1970-01-01 (found by schemathesis)
DateQuery = Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", json_schema_extra={"format": "date"})]


def query_date(value: str | None, field: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError.single(field, "date_parsing", f"{field}: 日付は YYYY-MM-DD 形式で入力してください",
                                f"{field}: dates are YYYY-MM-DD") from None


@router.post("/relays", status_code=201, summary="廃止取次の登録 (register a relay)", response_model=Relay,
             dependencies=[IDEMPOTENCY_KEY], openapi_extra={"x-interface-ids": ["IS_20110"]})
async def register(request: Request, caller: Caller = Depends(require("hub:relays:write")),
                   body: RelayRegistration = json_body(RelayRegistration)):

    async def produce() -> dict:
        async with tx(request) as conn:
            return await service.register(conn, request.app.state.areas, actor_of(request, caller), body,
                                          get_clock().now())

    return await idempotent(request, caller, produce, 201)


@router.get("/relays", summary="廃止取次一覧 (relays I registered: role=new; addressed to me: role=current)",
            response_model=RelayPage, response_model_exclude_unset=True,
            openapi_extra={"x-interface-ids": ["IS_20210", "IS_20310"]})
async def list_relays(
    request: Request, role: Literal["new", "current"] = "new",
    relay_no: Annotated[str, Query(max_length=20)] = "",
    spid: Annotated[str, Query(max_length=40, json_schema_extra={"pattern": r"^((0[1-9]|10)[0-9]{20})?$"})] = "",
    counterpart_code: Annotated[str, Query(max_length=5)] = "", counterpart_name: Annotated[str, Query(max_length=60)] = "",
    customer_name: Annotated[str, Query(max_length=60)] = "",
    status: Annotated[str, Query(pattern=r"^(0[1-7])?$")] = "",
    registered_from: DateQuery = None, registered_to: DateQuery = None,
    area: Annotated[str, Query(pattern=r"^((0[1-9]|10))?$")] = "",
    page: Annotated[int, Query(ge=1, le=10000)] = 1, per_page: Annotated[int, Query(ge=1, le=100)] = 20,
    caller: Caller = Depends(require("hub:relays:read")),
) -> dict:
    filters = {"relay_no": relay_no.strip(), "spid": parse_spid(spid) if spid.strip() else "",
               "counterpart_code": counterpart_code.strip().upper(), "counterpart_name": counterpart_name.strip(),
               "customer_name": customer_name.strip(), "status": status,
               "registered_from": query_date(registered_from, "registered_from"),
               "registered_to": query_date(registered_to, "registered_to"), "area": area}
    async with tx(request) as conn:
        return await service.listing(conn, actor_of(request, caller), role, filters, page, per_page)


@router.get("/relays/{relay_no}", summary="廃止取次の詳細", response_model=Relay, response_model_exclude_unset=True,
            openapi_extra={"x-interface-ids": ["IS_20210"]})
async def get_relay(relay_no: str, request: Request, caller: Caller = Depends(require("hub:relays:read"))) -> dict:
    async with tx(request) as conn:
        return await service.detail(conn, actor_of(request, caller), relay_no)


@router.patch("/relays/{relay_no}", summary="廃止取次の訂正（判断待ちの間）", response_model=Relay,
              response_model_exclude_unset=True, openapi_extra={"x-interface-ids": ["IS_20110"]})
async def correct(relay_no: str, request: Request, caller: Caller = Depends(require("hub:relays:write")),
                  body: RelayCorrection = json_body(RelayCorrection)) -> dict:
    async with tx(request) as conn:
        return await service.correct(conn, actor_of(request, caller), relay_no, body, get_clock().now())


@router.post("/relays/{relay_no}/decision", summary="廃止取次の判断 (OK / NG)", response_model=Relay,
             dependencies=[IDEMPOTENCY_KEY], openapi_extra={"x-interface-ids": ["IS_20410"]})
async def decide(relay_no: str, request: Request, caller: Caller = Depends(require("hub:relays:write")),
                 body: RelayDecisionInput = json_body(RelayDecisionInput)):

    async def produce() -> dict:
        async with tx(request) as conn:
            return await service.decide(conn, actor_of(request, caller), relay_no, body, get_clock().now())

    return await idempotent(request, caller, produce)


@router.post("/relays/{relay_no}:withdraw", summary="廃止取次の取消（新小売・広域機関ヘルプデスク）", response_model=Relay,
             dependencies=[IDEMPOTENCY_KEY], openapi_extra={"x-interface-ids": ["SH_RELAY_WITHDRAW"]})
async def withdraw(relay_no: str, request: Request, caller: Caller = Depends(require("hub:relays:read")),
                   body: RelayWithdrawal = json_body(RelayWithdrawal)):
    # declared as read (held by both retailers and the helpdesk); the service then requires the
    # retailer's write or the helpdesk permission, whichever applies to the caller

    async def produce() -> dict:
        async with tx(request) as conn:
            return await service.withdraw(conn, actor_of(request, caller), relay_no, body.reason, get_clock().now())

    return await idempotent(request, caller, produce)
