"""Thin routes of the area's application API (/area/v1/applications…)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.applications import service
from switchhub.area.deps import acting_caller
from switchhub.contract.applications import (
    BulkFilingAnswer,
    BulkFilingItem,
    BulkFilingRequest,
    BulkFilingResult,
    SwitchEndRequest,
    SwitchStartRequest,
    WithdrawRequest,
)
from switchhub.httpkit import parse_body, validation_issues
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import InputError, NotFound, SwitchhubError

router = APIRouter(prefix="/area/v1")


def _served(request: Request, spid_or_no: str) -> bool:
    return spid_or_no[:2] in request.app.state.settings.served_areas


@router.post("/applications/switch-start")
async def switch_start(request: Request, caller: Caller = Depends(acting_caller)) -> dict:
    body = await parse_body(request, SwitchStartRequest)
    async with request.app.state.writer.begin() as conn:
        return await service.file(conn, caller, service.SWITCH_START, body, get_clock().now())


@router.post("/applications/switch-end")
async def switch_end(request: Request, caller: Caller = Depends(acting_caller)) -> dict:
    body = await parse_body(request, SwitchEndRequest)
    async with request.app.state.writer.begin() as conn:
        return await service.file(conn, caller, service.SWITCH_END, body, get_clock().now())


@router.get("/applications/{application_no}")
async def get_application(application_no: str, request: Request, caller: Caller = Depends(acting_caller)) -> dict:
    if not _served(request, application_no):
        raise NotFound("指定された申込はありません", "No such application")
    async with request.app.state.writer.connect() as conn:
        return await service.status(conn, caller, application_no)


@router.post("/applications/{application_no}:withdraw")
async def withdraw(application_no: str, request: Request, caller: Caller = Depends(acting_caller)) -> dict:
    body = await parse_body(request, WithdrawRequest)
    async with request.app.state.writer.begin() as conn:
        return await service.withdraw(conn, caller, application_no, body.reason, get_clock().now())


@router.get("/applications")
async def feed(request: Request, area: Annotated[str, Query(pattern=r"^(0[1-9]|10)$")],
               after: Annotated[int, Query(ge=0)] = 0,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100, caller: Caller = Depends(acting_caller)) -> dict:
    async with request.app.state.writer.connect() as conn:
        return await service.feed(conn, caller, area, after, limit)


# A bulk file's rows of this area (contract BulkFilingRequest): each row filed through the same service
# call as its single route, in a savepoint of the batch's one transaction.
FILERS = {
    "switch-start": (SwitchStartRequest, service.SWITCH_START),
    "switch-end": (SwitchEndRequest, service.SWITCH_END),
}


async def _file_row(conn: AsyncConnection, caller: Caller, item: BulkFilingItem, now: datetime) -> dict:
    if item.kind not in FILERS:
        raise NotFound(f"この一般送配電事業者システムは申込種別 {item.kind} の申込をまだ受け付けていません",
                       f"This area system does not take {item.kind} applications yet", code="kind_not_supported")
    model, type_code = FILERS[item.kind]
    try:
        req = model.model_validate_json(json.dumps(item.body, ensure_ascii=False))
    except ValidationError as exc:
        issues = validation_issues(list(exc.errors()))
        raise InputError(issues[0].message_ja, issues[0].message_en, errors=issues) from None
    return await service.file(conn, caller, type_code, req, now)


@router.post("/applications:bulk")
async def file_batch(request: Request, caller: Caller = Depends(acting_caller)) -> dict:
    body = await parse_body(request, BulkFilingRequest)
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
