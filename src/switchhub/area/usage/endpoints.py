"""Thin routes of the area's usage password API (/area/v1/usage-passwords…, the review queue and the
usage inquiry). Changes open their own transaction; the request's answer is stored under the
forwarded Idempotency-Key in the same transaction (as for the other applications)."""

from __future__ import annotations

import hashlib
import zlib
from contextlib import AsyncExitStack
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.applications.service import once, remember
from switchhub.area.deps import acting_caller
from switchhub.area.usage import service
from switchhub.contract.headers import IDEMPOTENCY_KEY
from switchhub.contract.usage import (
    UsageAnswer,
    UsageBatchAnswer,
    UsageBatchInquiryRequest,
    UsageDecisionRequest,
    UsageIndexPage,
    UsageInquiryRequest,
    UsagePasswordAnswer,
    UsagePasswordRequest,
    UsageReviewDetail,
    UsageReviewPage,
)
from switchhub.httpkit import json_body
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import NotFound
from switchhub.kernel.spid import SPID_DOC

router = APIRouter(prefix="/area/v1", tags=["usage"])
DOCUMENT_MEDIA = {t: {"schema": {"type": "string", "format": "binary"}}
                  for t in ("application/pdf", "image/jpeg", "image/png", "image/gif")}
AREA = r"^(0[1-9]|10)$"
ApplicationNo = Annotated[str, Path(max_length=40)]


def _served(request: Request) -> frozenset[str]:
    return frozenset(request.app.state.settings.served_areas)


@router.post("/usage-passwords", summary="使用量情報照会申請 (type 08)", status_code=201,
             response_model=UsagePasswordAnswer)
async def request_password(request: Request, caller: Caller = Depends(acting_caller),
                           body: UsagePasswordRequest = json_body(UsagePasswordRequest)) -> JSONResponse:
    key = request.headers.get(IDEMPOTENCY_KEY)
    digest = hashlib.sha256(request.method.encode() + request.url.path.encode() + await request.body()).hexdigest()
    now = get_clock().now()

    async def produce(conn: AsyncConnection) -> dict[str, Any]:
        return await service.request(conn, caller, body, _served(request), now)

    async with request.app.state.writer.begin() as conn:
        replay = await once(conn, caller, key, digest, produce)
        if replay is not None:
            return JSONResponse(replay[1], status_code=replay[0], headers={"Idempotent-Replayed": "true"})
        answer = await produce(conn)
        await remember(conn, caller, key, 201, answer)
    return JSONResponse(answer, status_code=201)


@router.get("/usage-passwords/{application_no}", summary="使用量情報照会申請の状況（発行後の最初の回答でパスワード）",
            response_model=UsagePasswordAnswer)
async def password_status(application_no: ApplicationNo, request: Request,
                          caller: Caller = Depends(acting_caller)) -> dict:
    async with request.app.state.writer.begin() as conn:  # the pickup is cleared in this transaction
        return await service.status(conn, caller, application_no, _served(request), get_clock().now())


@router.get("/usage-passwords", summary="使用量情報照会申請の一覧（ハブの申込索引用、OCCTOのみ）",
            response_model=UsageIndexPage)
async def index_page(request: Request, area: Annotated[str, Query(pattern=AREA)],
                     after: Annotated[str, Query(max_length=40)] = "",
                     limit: Annotated[int, Query(ge=1, le=1000)] = 500,
                     caller: Caller = Depends(acting_caller)) -> dict:
    if area not in _served(request):
        raise NotFound("このエリアは担当していません", "This area is not served here")
    async with request.app.state.writer.connect() as conn:
        return await service.index_page(conn, caller, area, after, limit)


@router.get("/usage-password-reviews", summary="本人確認の審査一覧", response_model=UsageReviewPage)
async def reviews(request: Request, area: Annotated[str, Query(pattern=AREA)],
                  state: Literal["open", "decided"] = "open", page: Annotated[int, Query(ge=1, le=1000)] = 1,
                  per_page: Annotated[int, Query(ge=1, le=5000)] = 50,
                  caller: Caller = Depends(acting_caller)) -> dict:
    if area not in _served(request):
        raise NotFound("このエリアは担当していません", "This area is not served here")
    async with request.app.state.writer.connect() as conn:
        return await service.review_list(conn, caller, area, state, page, per_page, get_clock().now())


@router.get("/usage-password-reviews/{application_no}", summary="本人確認の審査（詳細）",
            response_model=UsageReviewDetail)
async def review(application_no: ApplicationNo, request: Request, caller: Caller = Depends(acting_caller)) -> dict:
    async with request.app.state.writer.connect() as conn:
        return await service.review_detail(conn, caller, application_no, _served(request))


@router.get("/usage-password-reviews/{application_no}/documents/{n}", summary="本人確認書類",
            response_class=Response, responses={200: {"content": DOCUMENT_MEDIA,
                                                      "description": "the document as filed, its content type"}})
async def review_document(application_no: ApplicationNo, n: Annotated[int, Path(ge=1, le=5)], request: Request,
                          caller: Caller = Depends(acting_caller)) -> Response:
    async with request.app.state.writer.connect() as conn:
        doc = await service.document(conn, caller, application_no, n, _served(request))
    return Response(bytes(doc["content"]), media_type=doc["content_type"],
                    headers={"Content-Disposition": f"attachment; filename=document-{n}",
                             "X-Content-Type-Options": "nosniff"})


@router.post("/usage-password-reviews/{application_no}/decision", summary="審査結果（発行・却下）",
             response_model=UsageReviewDetail)
async def decide(application_no: ApplicationNo, request: Request, caller: Caller = Depends(acting_caller),
                 body: UsageDecisionRequest = json_body(UsageDecisionRequest)) -> dict:
    async with request.app.state.writer.begin() as conn:
        return await service.decide(conn, caller, application_no, body, _served(request), get_clock().now())


@router.post("/supply-points/{spid}/usage:query", summary="使用量照会", response_model=UsageAnswer)
async def inquire(spid: Annotated[str, Path(max_length=40, json_schema_extra=SPID_DOC)], request: Request,
                  caller: Caller = Depends(acting_caller),
                  body: UsageInquiryRequest = json_body(UsageInquiryRequest)) -> Response:
    async with request.app.state.reader.connect() as conn:
        answer = await service.inquire(conn, caller, spid, body, _served(request), get_clock().now())
    return Response(answer, media_type="application/json")


@router.post("/usage:query", summary="使用量照会（複数地点、1つのパスワード）", response_model=UsageBatchAnswer)
async def inquire_many(request: Request, caller: Caller = Depends(acting_caller),
                       body: UsageBatchInquiryRequest = json_body(UsageBatchInquiryRequest)) -> Response:
    """The hub's one call per area for a batch inquiry: each point answered or refused on its own."""
    # (not in the contract's text:) a batch of several points reads its days on two connections at once
    # (service.inquire_many), the second from a pool of its own (app.py: no batch waits for a second
    # connection of the pool it holds one of, so batches cannot starve each other)
    async with AsyncExitStack() as stack:
        conn = await stack.enter_async_context(request.app.state.reader.connect())
        second = (await stack.enter_async_context(request.app.state.days_reader.connect())
                  if len(body.spids) > 1 else None)
        answer = await service.inquire_many(conn, caller, body, _served(request), get_clock().now(), second)
    if "gzip" in request.headers.get("accept-encoding", ""):
        z = zlib.compressobj(1, zlib.DEFLATED, 31)
        return Response(z.compress(answer) + z.flush(), media_type="application/json",
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    return Response(answer, media_type="application/json")
