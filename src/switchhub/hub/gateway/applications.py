"""Thin routes for switching applications: validated at the hub, executed by the point's area."""

from __future__ import annotations

import base64
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from switchhub.area.applications.schemas import SwitchEndRequest, SwitchStartRequest, WithdrawRequest
from switchhub.httpkit import parse_body, request_id
from switchhub.hub.audit.repository import AuditEntry, write
from switchhub.hub.deps import require, tx
from switchhub.hub.idempotency import idempotent
from switchhub.hub.relays import service as relays
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import InputError, NotFound
from switchhub.kernel.spid import AREA_CODES, parse_spid

router = APIRouter(prefix="/api/v1", tags=["applications"])


def _audit(request: Request, caller: Caller, action: str, ids: list[str], **detail: object) -> AuditEntry:
    return AuditEntry(action=action, operator_code=caller.operator_code, user_login=caller.user_login,
                      cert_fingerprint=caller.cert_fingerprint or None, resource_type="application",
                      resource_ids=ids, remote_addr=request.client.host if request.client else "",
                      request_id=request_id(request), purpose="switching", detail=dict(detail))


async def file_application(request: Request, caller: Caller, kind: str, body: SwitchStartRequest | SwitchEndRequest,
                           source: str = "api") -> dict:
    """File at the point's area; a named relay must be the caller's OK relay and is linked after."""
    spid = parse_spid(body.spid)
    relay_no = body.relay_no if kind == "switch-start" else None
    if relay_no:
        async with tx(request) as conn:
            await relays.link_switch_start(conn, caller, relay_no, spid)
    answer = await request.app.state.areas.call(spid[:2], "POST", f"/area/v1/applications/{kind}", caller,
                                                json={**body.model_dump(mode="json"), "spid": spid})
    async with tx(request) as conn:
        if relay_no:
            await relays.record_switch_start(conn, relay_no, answer["application_no"])
        await write(conn, _audit(request, caller, f"{source}.application.{kind}", [answer["application_no"]],
                                 spid=spid, stage=answer["stage"]))
    return answer


async def _file(request: Request, caller: Caller, kind: str, model: type) -> object:
    body = await parse_body(request, model)
    parse_spid(body.spid)
    return await idempotent(request, caller, lambda: file_application(request, caller, kind, body), 201)


@router.post("/applications/switch-start", status_code=201, summary="スイッチング開始申請 (switch-start)",
             openapi_extra={"x-interface-ids": ["IF_10610", "IF_K10610", "IF_F10610"]})
async def switch_start(request: Request, caller: Caller = Depends(require("hub:applications:write"))):
    return await _file(request, caller, "switch-start", SwitchStartRequest)


@router.post("/applications/switch-end", status_code=201, summary="スイッチング廃止申請 (switch-end)",
             openapi_extra={"x-interface-ids": ["IF_10710", "IF_K10710", "IF_F10710"]})
async def switch_end(request: Request, caller: Caller = Depends(require("hub:applications:write"))):
    return await _file(request, caller, "switch-end", SwitchEndRequest)


def _area_of_application(application_no: str) -> str:
    if len(application_no) < 3 or application_no[:2] not in AREA_CODES or len(application_no) > 40:
        raise NotFound("指定された申込はありません", "No such application")
    return application_no[:2]


@router.get("/applications/{application_no}", summary="業務処理状況確認 (status of one application)",
            openapi_extra={"x-interface-ids": ["IF_10620", "IF_10720", "IF_K10620", "IF_F10620"]})
async def get_application(application_no: str, request: Request,
                          caller: Caller = Depends(require("hub:applications:read"))) -> dict:
    area = _area_of_application(application_no)
    return await request.app.state.areas.call(area, "GET", f"/area/v1/applications/{application_no}", caller)


@router.post("/applications/{application_no}:withdraw", summary="申込の取消 (withdrawal, update flag 3)",
             openapi_extra={"x-interface-ids": ["IF_10610", "IF_10710"]})
async def withdraw(application_no: str, request: Request,
                   caller: Caller = Depends(require("hub:applications:write"))):
    body = await parse_body(request, WithdrawRequest)
    area = _area_of_application(application_no)

    async def produce() -> dict:
        answer = await request.app.state.areas.call(area, "POST", f"/area/v1/applications/{application_no}:withdraw",
                                                    caller, json=body.model_dump(mode="json"))
        async with tx(request) as conn:
            await write(conn, _audit(request, caller, "api.application.withdraw", [application_no], reason=body.reason))
        return answer

    return await idempotent(request, caller, produce)


def _decode_cursor(cursor: str) -> dict[str, int]:
    if not cursor:
        return {}
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        return {str(k): int(v) for k, v in raw.items() if str(k) in AREA_CODES and int(v) >= 0}
    except (ValueError, TypeError, AttributeError):
        raise InputError.single("cursor", "invalid_cursor", "カーソルの形式が正しくありません",
                                "The cursor is not valid") from None


def _encode_cursor(pos: dict[str, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(pos, sort_keys=True).encode()).decode().rstrip("=")


@router.get("/applications", summary="異動申込一括取得 (applications feed from a cursor)",
            openapi_extra={"x-interface-ids": ["IF_11110", "IF_K11110", "IF_F11110"]})
async def feed(request: Request, cursor: Annotated[str, Query(max_length=400)] = "",
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               caller: Caller = Depends(require("hub:applications:read"))) -> dict:
    """Every stage change of the caller's applications, in order per area; the next cursor continues."""
    pos = _decode_cursor(cursor)
    items: list[dict] = []
    for area in sorted(caller.areas) or list(AREA_CODES):
        answer = await request.app.state.areas.call(area, "GET", "/area/v1/applications", caller,
                                                    params={"area": area, "after": pos.get(area, 0), "limit": limit})
        items += [{**i, "area": area} for i in answer["items"]]
        pos[area] = answer["last_seq"]
    return {"items": items, "next_cursor": _encode_cursor(pos)}
