"""Thin routes of the relay API (IS_20110–IS_20410)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from switchhub.httpkit import parse_body, request_id
from switchhub.hub.audit.repository import AuditEntry, write
from switchhub.hub.deps import require, tx
from switchhub.hub.idempotency import idempotent
from switchhub.hub.relays import service
from switchhub.hub.relays.schemas import RelayCorrection, RelayDecisionInput, RelayRegistration, RelayWithdrawal
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import InputError, NotFound
from switchhub.kernel.spid import parse_spid

router = APIRouter(prefix="/api/v1", tags=["relays"])


def _audit(request: Request, caller: Caller, action: str, relay_no: str, **detail: object) -> AuditEntry:
    return AuditEntry(action=action, operator_code=caller.operator_code, user_login=caller.user_login,
                      cert_fingerprint=caller.cert_fingerprint or None, resource_type="relay", resource_ids=[relay_no],
                      remote_addr=request.client.host if request.client else "", request_id=request_id(request),
                      purpose="switching", detail=dict(detail))


async def pending_types_at(request: Request, caller: Caller, spid: str) -> set[str]:
    """Application types pending at the point (public facility field), from the point's area."""
    try:
        answer = await request.app.state.areas.call(spid[:2], "GET", f"/area/v1/supply-points/{spid}", caller)
    except NotFound:
        raise InputError.single("spid", "point_not_found", f"供給地点特定番号 {spid} の供給地点はありません",
                                "No such supply point") from None
    return {a["type"] for a in answer["point"].get("pending_applications") or []}


async def register_relay(request: Request, caller: Caller, body: RelayRegistration, source: str = "api") -> dict:
    """Registration as API and Web do it: pending applications from the area, the rules, the audit row."""
    pending = await pending_types_at(request, caller, parse_spid(body.spid))
    async with tx(request) as conn:
        relay = await service.register(conn, caller, body, pending, get_clock().now())
        await write(conn, _audit(request, caller, f"{source}.relay.register", relay["relay_no"]))
    return relay


@router.post("/relays", status_code=201, summary="廃止取次の登録 (register a relay)",
             openapi_extra={"x-interface-ids": ["IS_20110"]})
async def register(request: Request, caller: Caller = Depends(require("hub:relays:write"))):
    body = await parse_body(request, RelayRegistration)
    return await idempotent(request, caller, lambda: register_relay(request, caller, body), 201)


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
        relay = await service.correct(conn, caller, relay_no, body, get_clock().now())
        await write(conn, _audit(request, caller, "api.relay.correct", relay_no))
    return relay


@router.post("/relays/{relay_no}/decision", summary="廃止取次の判断 (OK / NG)",
             openapi_extra={"x-interface-ids": ["IS_20410"]})
async def decide(relay_no: str, request: Request, caller: Caller = Depends(require("hub:relays:write"))):
    body = await parse_body(request, RelayDecisionInput)

    async def produce() -> dict:
        async with tx(request) as conn:
            relay = await service.decide(conn, caller, relay_no, body, get_clock().now())
            await write(conn, _audit(request, caller, "api.relay.decide", relay_no, decision=body.decision))
        return relay

    return await idempotent(request, caller, produce)


@router.post("/relays/{relay_no}:withdraw", summary="廃止取次の取消（新小売・広域機関ヘルプデスク）",
             openapi_extra={"x-interface-ids": ["SH_RELAY_WITHDRAW"]})
async def withdraw(relay_no: str, request: Request, caller: Caller = Depends(require("hub:relays:read"))):
    body = await parse_body(request, RelayWithdrawal)
    if not caller.is_occto:
        from switchhub.hub.accounts.permissions import check

        check(caller, "hub:relays:write")

    async def produce() -> dict:
        async with tx(request) as conn:
            relay = await service.withdraw(conn, caller, relay_no, body.reason, get_clock().now())
            await write(conn, _audit(request, caller, "api.relay.withdraw", relay_no, reason=body.reason))
        return relay

    return await idempotent(request, caller, produce)
