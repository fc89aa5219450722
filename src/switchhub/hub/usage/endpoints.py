"""Thin routes of the usage password (type 08), review and usage inquiry API."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from switchhub.httpkit import json_body
from switchhub.hub.deps import actor_of, require, tx
from switchhub.hub.idempotency import IDEMPOTENCY_KEY, idempotent
from switchhub.hub.usage import service
from switchhub.hub.usage.schemas import (
    DOCUMENT_MEDIA,
    UsageAnswer,
    UsageBatchAnswer,
    UsageBatchInquiryRequest,
    UsageDecisionRequest,
    UsageInquiryRequest,
    UsagePasswordAnswer,
    UsagePasswordRequest,
    UsageReviewDetail,
    UsageReviewPage,
)
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import SwitchhubError
from switchhub.kernel.spid import SPID_DOC, parse_spid

router = APIRouter(prefix="/api/v1", tags=["usage"])
ApplicationNo = Annotated[str, Path(max_length=40, description="申込番号")]
PATH = "/applications/usage-password"
#: the T&D's review of a usage password request has no interface ID in the original (a T&D screen);
#: the hub's own ID, like SH_SEARCH
REVIEW_IDS = ["SH_USAGE_REVIEW"]
INQUIRY_IDS = ["IF_10310", "IF_K10310"]


@router.post(PATH, summary="使用量情報照会申請 (usage password request, type 08)", status_code=201,
             response_model=UsagePasswordAnswer, dependencies=[IDEMPOTENCY_KEY],
             openapi_extra={"x-interface-ids": ["IF_10210", "IF_K10210"]})
async def request_password(request: Request, caller: Caller = Depends(require(service.REQUEST)),
                           body: UsagePasswordRequest = json_body(UsagePasswordRequest)):
    """1–20 points of one customer in one area (low or high voltage). Issued at once when the name and
    address match the points' current customer, otherwise reviewed by the T&D by the next business day."""

    async def produce() -> dict:
        async with tx(request) as conn:
            return await service.request(conn, request.app.state.areas, actor_of(request, caller), body)

    return await idempotent(request, caller, produce, 201)


@router.get(PATH + "/{application_no}", summary="使用量情報照会申請の状況 (status; the password once)",
            response_model=UsagePasswordAnswer, openapi_extra={"x-interface-ids": ["IF_10220", "IF_K10220"]})
async def password_status(application_no: ApplicationNo, request: Request,
                          caller: Caller = Depends(require(service.READ))) -> dict:
    """`password` is present exactly once: in the applicant's first status answer after issue."""
    async with tx(request) as conn:
        return await service.status(conn, request.app.state.areas, actor_of(request, caller), application_no)


@router.post("/supply-points/{spid}/usage:query", summary="使用量照会 (usage inquiry with the usage password)",
             response_model=UsageAnswer, openapi_extra={"x-interface-ids": INQUIRY_IDS})
async def query_usage(spid: Annotated[str, Path(json_schema_extra=SPID_DOC)], request: Request,
                      caller: Caller = Depends(require(service.QUERY)),
                      body: UsageInquiryRequest = json_body(UsageInquiryRequest)) -> Response:
    """The latest 13 months for any retailer holding a valid password of the point: monthly kWh always,
    30-minute days for smart meters, nothing before the current customer's period. A wrong, expired or
    foreign password and an unknown point get the same 403."""
    spid = parse_spid(spid)
    actor = actor_of(request, caller)
    try:
        async with tx(request) as conn:
            answer = await service.query_json(conn, request.app.state.areas, actor, spid, body)
    except SwitchhubError as exc:
        async with tx(request) as conn:
            await service.query_refused(conn, actor, spid, body, exc)
        raise
    return Response(answer, media_type="application/json")


@router.post("/usage:query", summary="使用量照会（複数地点、1つのパスワードで最大20地点）",
             response_model=UsageBatchAnswer, openapi_extra={"x-interface-ids": INQUIRY_IDS})
async def query_usage_batch(request: Request, caller: Caller = Depends(require(service.QUERY)),
                            body: UsageBatchInquiryRequest = json_body(UsageBatchInquiryRequest)) -> Response:
    """The points of one usage password (1–20) in one call: one item per point in the request's order,
    `answered` with its usage (as the per-point route answers it) or `refused` with the code of the
    per-point route's 403 (`usage_password_invalid`) — a point the password does not open refuses only
    that point. Every point is audited as a per-point inquiry."""
    body = service.checked_batch(body)
    actor = actor_of(request, caller)
    try:
        async with tx(request) as conn:
            answer, gz = await service.query_batch(conn, request.app.state.areas, actor, body)
    except SwitchhubError as exc:
        async with tx(request) as conn:
            await service.query_batch_refused(conn, actor, body, exc)
        raise
    if gz is not None and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(gz, media_type="application/json", headers={"Content-Encoding": "gzip",
                                                                    "Vary": "Accept-Encoding"})
    return Response(answer, media_type="application/json")


@router.get("/usage-password-reviews", summary="本人確認の審査一覧 (T&D review queue)", response_model=UsageReviewPage,
            openapi_extra={"x-interface-ids": REVIEW_IDS})
async def reviews(request: Request, state: Literal["open", "decided"] = "open",
                  page: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 1,
                  per_page: Annotated[int, Query(ge=1, le=100)] = 20,
                  caller: Caller = Depends(require(service.REVIEW_READ))) -> dict:
    """Requests of the caller's areas that need (open) or had (decided) a review, oldest deadline first."""
    return await service.reviews(request.app.state.areas, actor_of(request, caller), state, page, per_page)


@router.get("/usage-password-reviews/{application_no}", summary="本人確認の審査（詳細）", response_model=UsageReviewDetail,
            openapi_extra={"x-interface-ids": REVIEW_IDS})
async def review(application_no: ApplicationNo, request: Request,
                 caller: Caller = Depends(require(service.REVIEW_READ))) -> dict:
    async with tx(request) as conn:
        return await service.review(conn, request.app.state.areas, actor_of(request, caller), application_no)


@router.get("/usage-password-reviews/{application_no}/documents/{n}", summary="本人確認書類 (attachment)",
            response_class=Response, responses={200: {"content": DOCUMENT_MEDIA, "description": "the document"}},
            openapi_extra={"x-interface-ids": REVIEW_IDS})
async def review_document(application_no: ApplicationNo, n: Annotated[int, Path(ge=1, le=5)], request: Request,
                          caller: Caller = Depends(require(service.REVIEW))) -> Response:
    async with tx(request) as conn:
        content, media = await service.document(conn, request.app.state.areas, actor_of(request, caller),
                                                application_no, n)
    return Response(content, media_type=media, headers={"Content-Disposition": f"attachment; filename=document-{n}"})


@router.post("/usage-password-reviews/{application_no}/decision", summary="審査結果 (issue or reject)",
             response_model=UsageReviewDetail, openapi_extra={"x-interface-ids": REVIEW_IDS})
async def decide(application_no: ApplicationNo, request: Request, caller: Caller = Depends(require(service.REVIEW)),
                 body: UsageDecisionRequest = json_body(UsageDecisionRequest)) -> dict:
    async with tx(request) as conn:
        return await service.decide(conn, request.app.state.areas, actor_of(request, caller), application_no, body)
