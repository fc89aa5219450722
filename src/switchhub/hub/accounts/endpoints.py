"""Thin routes: who am I, the operator directory, API credential issue/revoke."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from switchhub.hub.accounts import repository
from switchhub.hub.deps import require, tx
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["accounts"])


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


@router.get("/operators", summary="事業者一覧 (operator list)", openapi_extra={"x-interface-ids": ["IS_30110"]})
async def operators(request: Request,
                    kind: Literal["occto", "retailer", "tso"] | None = None,
                    area: Annotated[str | None, Query(pattern=r"^(0[1-9]|10)$")] = None,
                    caller: Caller = Depends(require("hub:operators:read"))) -> dict:
    async with tx(request) as conn:
        rows = await repository.operators(conn, kind, area)
    items = [{"code": r["code"].strip(), "name": r["name"], "name_kana": r["name_kana"], "kind": r["kind"],
              "areas": [a.strip() for a in r["areas"]], "incumbent_areas": [a.strip() for a in r["incumbent_areas"]],
              "contact_name": r["contact_name"], "contact_phone": r["contact_phone"], "status": r["status"]}
             for r in rows]
    return {"total": len(items), "items": items}


@router.post("/me/credentials/{key_id}:revoke", summary="APIクレデンシャルの失効 (revoke one of my operator's credentials)",
             openapi_extra={"x-interface-ids": ["SH_CREDENTIAL_REVOKE"]})
async def revoke(key_id: str, request: Request,
                 caller: Caller = Depends(require("hub:me:read"))) -> dict:
    from switchhub.kernel.clock import get_clock

    async with tx(request) as conn:
        if caller.role != "admin" and not await _is_own_key(conn, key_id, caller):
            raise NotFound()
        if not await repository.revoke_credential(conn, key_id, caller.operator_code, get_clock().now()):
            raise NotFound()
    return {"key_id": key_id, "revoked": True}


async def _is_own_key(conn, key_id: str, caller: Caller) -> bool:
    from sqlalchemy import text

    row = (await conn.execute(text("SELECT 1 FROM api_credentials k JOIN users u ON u.id = k.user_id"
                                   " WHERE k.key_id = :k AND u.login_id = :l"), {"k": key_id, "l": caller.user_login})).first()
    return row is not None
