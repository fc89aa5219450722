"""Thin routes of the area's application API (/area/v1/applications…): one filing route per kind
of the per-kind table, correction (PATCH), withdrawal, status and the feed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.applications import service
from switchhub.area.applications.kinds import KINDS
from switchhub.area.deps import acting_caller
from switchhub.contract.applications import (
    ApplicationAnswer,
    AreaFeedPage,
    BulkFilingAnswer,
    BulkFilingItem,
    BulkFilingRequest,
    BulkFilingResult,
    CorrectionRequest,
    WithdrawRequest,
)
from switchhub.contract.headers import IDEMPOTENCY_KEY
from switchhub.httpkit import json_body, validation_issues
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import InputError, NotFound, SwitchhubError

router = APIRouter(prefix="/area/v1", tags=["applications"])
Produce = Callable[[AsyncConnection], Awaitable[dict[str, Any]]]
# The answers go out as the service built them; the contract's models document them.
BIGINT_MAX = 2**63 - 1  # the feed sequence is a bigint
ANSWER = {200: {"model": ApplicationAnswer, "description": "the application as the caller may see it"}}
FILED = {201: {"model": ApplicationAnswer, "description": "the application as filed"}}


def _served(request: Request, spid_or_no: str) -> bool:
    return spid_or_no[:2] in request.app.state.settings.served_areas


async def _changing(request: Request, caller: Caller, produce: Produce, status_code: int = 200) -> JSONResponse:
    """One transaction for the change and, under the forwarded Idempotency-Key, its stored answer."""
    key = request.headers.get(IDEMPOTENCY_KEY)
    digest = hashlib.sha256(request.method.encode() + request.url.path.encode() + await request.body()).hexdigest()
    async with request.app.state.writer.begin() as conn:
        replay = await service.once(conn, caller, key, digest, produce)
        if replay is not None:
            return JSONResponse(replay[1], status_code=replay[0], headers={"Idempotent-Replayed": "true"})
        answer = await produce(conn)
        await service.remember(conn, caller, key, status_code, answer)
    return JSONResponse(answer, status_code=status_code)


def _filing_route(kind: str) -> Callable[..., Awaitable[JSONResponse]]:
    model = KINDS[kind].request

    async def file(request: Request, caller: Caller = Depends(acting_caller),
                   body: Any = json_body(model)) -> JSONResponse:

        async def produce(conn: AsyncConnection) -> dict[str, Any]:
            return await service.file(conn, caller, kind, body, get_clock().now())

        return await _changing(request, caller, produce, 201)

    file.__name__ = f"file_{kind.replace('-', '_')}"
    return file


for _kind in KINDS:
    router.add_api_route(f"/applications/{_kind}", _filing_route(_kind), methods=["POST"], status_code=201,
                         summary=f"{KINDS[_kind].types[0].ja}の申込", response_model=None, responses=FILED)


@router.get("/applications/{application_no}", summary="業務処理状況確認", response_model=None, responses=ANSWER)
async def get_application(application_no: str, request: Request, caller: Caller = Depends(acting_caller)) -> dict:
    if not _served(request, application_no):
        raise NotFound("指定された申込はありません", "No such application")
    async with request.app.state.writer.connect() as conn:
        return await service.status(conn, caller, application_no)


@router.patch("/applications/{application_no}", summary="申込の訂正（更新フラグ 2）", response_model=None,
              responses=ANSWER)
async def correct(application_no: str, request: Request, caller: Caller = Depends(acting_caller),
                  body: CorrectionRequest = json_body(CorrectionRequest)) -> JSONResponse:
    if not _served(request, application_no):
        raise NotFound("指定された申込はありません", "No such application")

    async def produce(conn: AsyncConnection) -> dict[str, Any]:
        return await service.correct(conn, caller, application_no, body, get_clock().now())

    return await _changing(request, caller, produce)


@router.post("/applications/{application_no}:withdraw", summary="申込の取消（更新フラグ 3）", response_model=None,
             responses=ANSWER)
async def withdraw(application_no: str, request: Request, caller: Caller = Depends(acting_caller),
                   body: WithdrawRequest = json_body(WithdrawRequest)) -> JSONResponse:

    async def produce(conn: AsyncConnection) -> dict[str, Any]:
        return await service.withdraw(conn, caller, application_no, body.reason, get_clock().now())

    return await _changing(request, caller, produce)


@router.get("/applications", summary="異動申込の変更一覧（フィード）", response_model=None,
            responses={200: {"model": AreaFeedPage, "description": "changes after `after`"}})
async def feed(request: Request, area: Annotated[str, Query(pattern=r"^(0[1-9]|10)$")],
               after: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100, caller: Caller = Depends(acting_caller)) -> dict:
    async with request.app.state.writer.connect() as conn:
        return await service.feed(conn, caller, area, after, limit)


# A bulk file's rows of this area (contract BulkFilingRequest): each row filed through the same service
# call as its single route, in a savepoint of the batch's one transaction.
async def _file_row(conn: AsyncConnection, caller: Caller, item: BulkFilingItem, now: datetime) -> dict:
    try:
        req = KINDS[item.kind].request.model_validate_json(json.dumps(item.body, ensure_ascii=False))
    except ValidationError as exc:
        issues = validation_issues(list(exc.errors()))
        raise InputError(issues[0].message_ja, issues[0].message_en, errors=issues) from None
    return await service.file(conn, caller, item.kind, req, now)


@router.post("/applications:bulk", summary="申込の一括登録（1エリア・1トランザクション）", response_model=None,
             responses={200: {"model": BulkFilingAnswer, "description": "each row's answer, and whether it committed"}})
async def file_batch(request: Request, caller: Caller = Depends(acting_caller),
                     body: BulkFilingRequest = json_body(BulkFilingRequest)) -> dict:
    now = get_clock().now()
    results: list[BulkFilingResult] = []
    async with request.app.state.writer.connect() as conn:
        trans = await conn.begin()
        try:
            for item in body.items:
                try:
                    if not _served(request, str(item.body.get("spid", ""))):
                        raise NotFound("指定された供給地点特定番号の供給地点はありません", "No such supply point")
                    async with conn.begin_nested():
                        answer = await _file_row(conn, caller, item, now)
                    results.append(BulkFilingResult(row=item.row, ok=True, application=answer))
                except SwitchhubError as exc:
                    results.append(BulkFilingResult(row=item.row, ok=False, status=exc.status, code=exc.code,
                                                    message=exc.detail_ja,
                                                    errors=[e.as_dict() for e in exc.errors]))
            commit = not body.dry_run and (body.mode == "valid_rows" or all(r.ok for r in results)) \
                and any(r.ok for r in results)
            await (trans.commit() if commit else trans.rollback())
        except BaseException:
            await trans.rollback()
            raise
    return BulkFilingAnswer(committed=commit, results=results).model_dump(mode="json")
