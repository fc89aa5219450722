"""Thin routes of the hub's supply point API: parse, resolve the caller, call one service function."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse

from switchhub.contract.points import (
    EXPORT_COMPRESSION_DOC,
    EXPORT_FIELDS_DOC,
    BatchGetRequest,
    ExportCompression,
    SupplyPoint,
)
from switchhub.httpkit import FastJSONResponse
from switchhub.hub.accounts.identity_cache import confirmed_by_audit
from switchhub.hub.audit.context import Actor
from switchhub.hub.deps import actor_of, require, served_under_claim
from switchhub.hub.points import service
from switchhub.hub.points.schemas import EXPORT_MEDIA, BatchLookupAnswer, SearchPage
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import IssueCollector
from switchhub.kernel.spid import SPID_DOC, parse_spid
from switchhub.kernel.visibility import ExportFields

router = APIRouter(prefix="/api/v1", tags=["supply-points"])
# The answers are built as the caller may see them (kernel.visibility) and sent as they are: the
# models document them (every field optional, absent ones not sent); tests/hub/test_response_models.py
# checks that real answers are exactly their model's serialisation.


def _ctx(request: Request, caller: Caller) -> Actor:
    return actor_of(request, caller)


@router.get("/supply-points/{spid}", summary="設備情報照会 (facility lookup)", response_model=SupplyPoint,
            openapi_extra={"x-interface-ids": ["IF_10110", "IF_F10110", "IF_K10110"]})
@confirmed_by_audit
async def get_supply_point(spid: Annotated[str, Path(json_schema_extra=SPID_DOC)], request: Request,
                           caller: Caller = Depends(require("hub:supply-points:read"))) -> FastJSONResponse:
    spid = parse_spid(spid)
    state = request.app.state
    return FastJSONResponse(await served_under_claim(
        request, caller,
        lambda who, claim: service.lookup(state.engine, state.areas, _ctx(request, who), spid, claim)))


@router.post("/supply-points:batch-get", summary="設備情報一括照会 (batch lookup, ≤ 1,000)",
             response_model=BatchLookupAnswer,
             openapi_extra={"x-interface-ids": ["IF_10110", "IF_F10110", "IF_K10110"]})
@confirmed_by_audit
async def batch_get(body: BatchGetRequest, request: Request,
                    caller: Caller = Depends(require("hub:supply-points:read"))) -> FastJSONResponse:
    issues = IssueCollector()
    spids: list[str] = []
    for i, raw in enumerate(body.spids):
        try:
            spids.append(parse_spid(raw, f"spids[{i}]"))
        except Exception as exc:  # InputError: collect every bad element, not only the first
            issues.extend(getattr(exc, "errors", []))
    issues.raise_if_any()
    spids = list(dict.fromkeys(spids))
    state = request.app.state
    return FastJSONResponse(await served_under_claim(
        request, caller,
        lambda who, claim: service.batch(state.engine, state.areas, _ctx(request, who), spids, claim)))


Text = Annotated[str, Query(max_length=80)]


@router.get("/supply-points", summary="供給地点特定番号検索 (search by address / pole / meter)", response_model=SearchPage,
            openapi_extra={"x-interface-ids": ["SH_SEARCH"]})
async def search_supply_points(
    request: Request,
    area: Annotated[str, Query(pattern=r"^(0[1-9]|10)$", description="エリアコード")] = "",
    prefecture: Annotated[str, Query(max_length=10)] = "",
    city: Annotated[str, Query(max_length=40)] = "",
    town: Annotated[str, Query(max_length=60)] = "",
    block: Annotated[str, Query(max_length=40)] = "",
    building: Text = "",
    room: Annotated[str, Query(max_length=20)] = "",
    pole_no: Annotated[str, Query(max_length=40)] = "",
    meter_no: Annotated[str, Query(max_length=40)] = "",
    page: Annotated[int, Query(ge=1, le=5)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
    caller: Caller = Depends(require("hub:supply-points:search")),
) -> FastJSONResponse:
    params = {"area": area, "prefecture": prefecture.strip(), "city": city.strip(), "town": town, "block": block,
              "building": building, "room": room, "pole_no": pole_no.strip(), "meter_no": meter_no.strip()}
    issues = IssueCollector()
    if not (params["pole_no"] or params["meter_no"]):
        if not params["prefecture"]:
            issues.add("prefecture", "required", "都道府県を入力してください（または引込柱番号・計器番号で検索してください）",
                       "Enter the prefecture (or search by pole or meter number)")
        elif not service.search_areas(params):
            issues.add("prefecture", "unknown_prefecture", f"都道府県名が正しくありません: {prefecture[:10]}",
                       "Unknown prefecture")
        if not params["city"]:
            issues.add("city", "required", "市区町村を入力してください", "Enter the city")
    issues.raise_if_any()
    return FastJSONResponse(await service.search(request.app.state.engine, request.app.state.areas,
                                                 _ctx(request, caller), params, page, per_page))


@router.get("/supply-points:export", summary="自社供給地点一括取得 (own-point export, gzip or zstd CSV or NDJSON)",
            openapi_extra={"x-interface-ids": ["SH_EXPORT"]},
            response_class=StreamingResponse,
            responses={200: {"content": EXPORT_MEDIA, "description": "gzip- or zstd-compressed CSV or NDJSON", "headers": {
                "X-Row-Count": {"description": "行数 (rows)", "schema": {"type": "integer"}},
                "X-Export-Fields": {"description": "列（カンマ区切り、出力順） (the columns, in order)",
                                    "schema": {"type": "string"}},
                "Content-Disposition": {"description": "attachment; filename", "schema": {"type": "string"}}}}})
async def export_supply_points(
    request: Request, format: Literal["csv", "ndjson"] = "csv",
    fields: Annotated[ExportFields, Query(description=EXPORT_FIELDS_DOC)] = ExportFields.STANDARD,
    compression: Annotated[ExportCompression, Query(description=EXPORT_COMPRESSION_DOC)] = ExportCompression.FAST,
    caller: Caller = Depends(require("hub:supply-points:export")),
) -> StreamingResponse:
    stack = AsyncExitStack()
    try:
        streams, count, columns = await service.open_export(
            request.app.state.engine, request.app.state.areas, actor_of(request, caller, purpose="export"), format,
            stack, fields, compression)
    except BaseException:
        await stack.aclose()
        raise

    async def body():
        try:
            for resp in streams:
                async for chunk in resp.aiter_raw():
                    yield chunk
        finally:
            await stack.aclose()

    filename = f"supply-points-{caller.operator_code}.{format}.{compression.suffix}"
    return StreamingResponse(body(), media_type=compression.media_type,
                             headers={"content-disposition": f'attachment; filename="{filename}"',
                                      "x-row-count": str(count), "x-export-fields": ",".join(columns)})
