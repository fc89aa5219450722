"""Thin routes of client certificate administration (`hub:certificates:manage`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from switchhub.httpkit import json_body
from switchhub.hub.certificates import service
from switchhub.hub.certificates.schemas import (
    Certificate,
    CertificateFacts,
    CertificateInput,
    CertificatePage,
    CertificateUpload,
)
from switchhub.hub.deps import actor_of, require, tx
from switchhub.hub.operators.schemas import StatusChange
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock

router = APIRouter(prefix="/api/v1/admin", tags=["administration"])
MANAGE = service.MANAGE
Fingerprint = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256 フィンガープリント")]
IDS = {"x-interface-ids": ["SH_ADMIN_CERTIFICATES"]}


@router.get("/certificates", summary="クライアント証明書の一覧（有効期限の近い順、20件ずつ）",
            response_model=CertificatePage, openapi_extra=IDS)
async def list_certificates(request: Request,
                            operator_code: Annotated[str | None, Query(pattern=r"^[A-Z0-9]{5}$")] = None,
                            status: Literal["active", "suspended"] | None = None,
                            purpose: Literal["web", "api", "area"] | None = None,
                            page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                            caller: Caller = Depends(require(MANAGE))) -> dict:
    async with tx(request) as conn:
        return await service.list_certificates(conn, actor_of(request, caller), operator_code=operator_code,
                                               status=status, purpose=purpose, page=page)


@router.post("/certificates:inspect", summary="証明書の確認（登録前: フィンガープリント・サブジェクト・有効期間）",
             response_model=CertificateFacts, openapi_extra=IDS)
async def inspect_certificate(request: Request, caller: Caller = Depends(require(MANAGE)),
                  body: CertificateUpload = json_body(CertificateUpload)) -> dict:
    async with tx(request) as conn:
        return await service.inspect(conn, actor_of(request, caller), body.pem, get_clock().now())


@router.post("/certificates", status_code=201, summary="クライアント証明書の登録", response_model=Certificate,
             openapi_extra=IDS)
async def register_certificate(request: Request, caller: Caller = Depends(require(MANAGE)),
                   body: CertificateInput = json_body(CertificateInput)) -> dict:
    async with tx(request) as conn:
        return await service.register(conn, actor_of(request, caller), body.pem, body.operator_code, body.purpose,
                                      [str(a) for a in body.areas], get_clock().now())


@router.post("/certificates/{fingerprint}:suspend", summary="証明書の利用停止（次のリクエストから拒否）",
             response_model=Certificate, openapi_extra=IDS)
async def suspend_certificate(fingerprint: Fingerprint, request: Request, caller: Caller = Depends(require(MANAGE)),
                              body: StatusChange = json_body(StatusChange)) -> dict:
    async with tx(request) as conn:
        return await service.set_status(conn, actor_of(request, caller), fingerprint, "suspended", body.reason)


@router.post("/certificates/{fingerprint}:restore", summary="証明書の利用再開", response_model=Certificate,
             openapi_extra=IDS)
async def restore_certificate(fingerprint: Fingerprint, request: Request, caller: Caller = Depends(require(MANAGE)),
                              body: StatusChange = json_body(StatusChange)) -> dict:
    async with tx(request) as conn:
        return await service.set_status(conn, actor_of(request, caller), fingerprint, "active", body.reason)
