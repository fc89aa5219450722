"""Thin routes: who am I, the operator directory, my password, API credential revocation."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from switchhub.httpkit import json_body
from switchhub.hub.accounts import repository, service
from switchhub.hub.deps import actor_of, require, tx
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class PasswordChange(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


@router.get("/me", summary="利用者情報 (who am I, my rate limit, my certificate)",
            openapi_extra={"x-interface-ids": ["SH_ME"]})
async def me(request: Request, caller: Caller = Depends(require("hub:me:read"))) -> dict:
    cert = request.state.cert
    limits = request.app.state.rate_limits
    async with tx(request) as conn:
        user = await repository.user_by_login(conn, caller.user_login)
    assert user is not None
    return {
        "operator": {"code": caller.operator_code, "name": user["operator_name"], "kind": caller.kind,
                     "areas": sorted(caller.areas)},
        "user": {"login_id": user["login_id"], "display_name": user["display_name"], "role": user["role"],
                 "is_api_user": user["is_api_user"]},
        "certificate": {"fingerprint_sha256": cert.fingerprint, "subject": cert.subject, "purpose": cert.purpose},
        "rate_limit": {"per_second": limits.rate, "burst": limits.burst},
    }


@router.post("/me/password", summary="パスワードの変更 (change my password)",
             openapi_extra={"x-interface-ids": ["SH_PASSWORD_CHANGE"]})
async def change_password(request: Request, caller: Caller = Depends(require("hub:me:password")),
                          body: PasswordChange = json_body(PasswordChange)) -> dict:
    async with tx(request) as conn:
        await service.change_password(conn, actor_of(request, caller), body.current_password, body.new_password,
                                      get_clock().now())
    return {"changed": True}


@router.get("/operators", summary="事業者一覧 (operator list)", openapi_extra={"x-interface-ids": ["IS_30110"]})
async def operators(request: Request,
                    kind: Literal["occto", "retailer", "tso"] | None = None,
                    area: Annotated[str | None, Query(pattern=r"^(0[1-9]|10)$")] = None,
                    caller: Caller = Depends(require("hub:operators:read"))) -> dict:
    async with tx(request) as conn:
        rows = await repository.operators(conn, kind, area)
    items = [{"code": r["code"], "name": r["name"], "name_kana": r["name_kana"], "kind": r["kind"],
              "areas": r["areas"], "incumbent_areas": r["incumbent_areas"],
              "contact_name": r["contact_name"], "contact_phone": r["contact_phone"], "status": r["status"]}
             for r in rows]
    return {"total": len(items), "items": items}


@router.post("/me/credentials/{key_id}:revoke", summary="APIクレデンシャルの失効 (revoke one of my operator's credentials)",
             openapi_extra={"x-interface-ids": ["SH_CREDENTIAL_REVOKE"]})
async def revoke(key_id: str, request: Request, caller: Caller = Depends(require("hub:credentials:revoke"))) -> dict:
    async with tx(request) as conn:
        return await service.revoke_credential(conn, actor_of(request, caller), key_id, get_clock().now())
