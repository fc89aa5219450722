"""Thin routes of the area's supply point API (/area/v1): parse, call the service, answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Literal

import asyncpg
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.deps import acting_caller, lookup_conn, search_conn, today
from switchhub.area.points import service
from switchhub.contract.points import (
    EXPORT_COMPRESSION_DOC,
    EXPORT_FIELDS_DOC,
    BatchPointsAnswer,
    ExportCompression,
    PointAnswer,
    SearchPointsAnswer,
    export_media,
)
from switchhub.contract.points import BatchGetRequest as BatchRequest
from switchhub.httpkit import FastJSONResponse
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import Forbidden, NotFound
from switchhub.kernel.spid import SPID_DOC, parse_spid
from switchhub.kernel.visibility import ExportFields

router = APIRouter(prefix="/area/v1", tags=["supply-points"])
# Answers are sent as built (the hot path); the declared models are the contract's JSON of them.
EXPORT_ANSWER = {200: {"description": "gzip or zstd (compression=): CSV (UTF-8) or NDJSON of the caller's own points",
                       "content": export_media(), "headers": {
    "X-Row-Count": {"description": "行数", "schema": {"type": "integer"}},
    "X-Export-Fields": {"description": "列（カンマ区切り、fields= の列セット）", "schema": {"type": "string"}},
    "X-Export-Media-Type": {"description": "展開後の形式 (text/csv or application/x-ndjson)",
                            "schema": {"type": "string"}}}}}


def _served(request: Request, spid: str) -> bool:
    return spid[:2] in request.app.state.settings.served_areas


@router.get("/supply-points/{spid}", summary="設備情報照会", response_model=PointAnswer)
async def get_point(
    spid: Annotated[str, Path(json_schema_extra=SPID_DOC)], request: Request, caller: Caller = Depends(acting_caller),
    on: date = Depends(today),
) -> FastJSONResponse:
    spid = parse_spid(spid)
    if not _served(request, spid):
        raise NotFound("指定された供給地点特定番号の設備情報はありません", "No facility information for this supply point")
    # the hot path (targets.md P1): the connection taken here rather than by a generator dependency
    async with (await request.app.state.lookup_pool.pool()).acquire() as conn:
        return FastJSONResponse(await service.lookup(conn, caller, spid, on))


@router.post("/supply-points:batch-get", summary="設備情報一括照会", response_model=BatchPointsAnswer)
async def batch_get(
    body: BatchRequest, request: Request, caller: Caller = Depends(acting_caller),
    conn: asyncpg.Connection = Depends(lookup_conn), on: date = Depends(today),
) -> FastJSONResponse:
    spids = [s for s in dict.fromkeys(parse_spid(s, "spids") for s in body.spids) if _served(request, s)]
    items, missing = await service.lookup_many(conn, caller, spids, on)
    return FastJSONResponse({"items": items, "not_found": missing})


@router.get("/supply-points", summary="供給地点特定番号検索", response_model=SearchPointsAnswer)
async def search(
    request: Request,
    area: Annotated[str, Query(pattern=r"^(0[1-9]|10)$")],
    prefecture: Annotated[str, Query(max_length=10)] = "",
    city: Annotated[str, Query(max_length=40)] = "",
    town: Annotated[str, Query(max_length=60)] = "",
    block: Annotated[str, Query(max_length=40)] = "",
    building: Annotated[str, Query(max_length=80)] = "",
    room: Annotated[str, Query(max_length=20)] = "",
    pole_no: Annotated[str, Query(max_length=40)] = "",
    meter_no: Annotated[str, Query(max_length=40)] = "",
    offset: Annotated[int, Query(ge=0, le=100)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    caller: Caller = Depends(acting_caller), conn: AsyncConnection = Depends(search_conn), on: date = Depends(today),
) -> FastJSONResponse:
    if area not in request.app.state.settings.served_areas:
        return {"total": 0, "truncated": False, "items": []}
    q = service.SearchQuery(area, prefecture, city, town, block, building, room, pole_no, meter_no)
    return FastJSONResponse(await service.search(conn, caller, q, on, offset=offset, limit=limit))


@router.get("/supply-points:export", summary="自社供給地点一括取得", response_class=StreamingResponse,
            responses=EXPORT_ANSWER)
async def export(
    request: Request, area: Annotated[str, Query(pattern=r"^(0[1-9]|10)$")],
    format: Literal["csv", "ndjson"] = "csv", header: bool = True,
    fields: Annotated[ExportFields, Query(description=EXPORT_FIELDS_DOC)] = ExportFields.STANDARD,
    compression: Annotated[ExportCompression, Query(description=EXPORT_COMPRESSION_DOC)] = ExportCompression.FAST,
    caller: Caller = Depends(acting_caller), on: date = Depends(today),
) -> StreamingResponse:
    if not caller.is_retailer:
        raise Forbidden("自社供給地点の一括取得は小売電気事業者のみ利用できます", "Only retailers export their own points")
    if area not in request.app.state.settings.served_areas:
        raise NotFound("このエリアは担当していません", "This area is not served here")
    grant, columns, select = service.export_plan(caller, format, fields)
    engine = request.app.state.engine
    async with engine.connect() as conn:
        count = await service.repository.count_own_points(conn, area, caller.operator_code, on)
    query = select.replace(":op", "$1").replace(":on", "$2").replace(":area", "$3")
    name = f"supply-points-{caller.operator_code}-{on}.{format}.{compression.suffix}"
    headers = {"x-row-count": str(count), "x-export-fields": ",".join(columns),
               "content-disposition": f'attachment; filename="{name}"'}
    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    return StreamingResponse(_copy_compressed(engine, query, (caller.operator_code, on, area), format, header,
                                              compression),
                             media_type=compression.media_type, headers={**headers, "x-export-media-type": media})


async def _copy_compressed(engine, query: str, args: tuple, fmt: str, header: bool, compression: ExportCompression
                           ) -> AsyncIterator[bytes]:
    """COPY the rows to the client compressed (one gzip member or zstd frame), chunk by chunk; the
    queue bounds memory."""
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=16)
    compressor = compression.compressor()

    async def sink(chunk: bytes) -> None:
        data = compressor.compress(bytes(chunk))
        if data:
            await queue.put(data)

    async def run() -> None:
        try:
            async with engine.connect() as conn:
                raw = (await conn.get_raw_connection()).driver_connection
                opts = {"format": "csv", "header": header} if fmt == "csv" else {
                    "format": "csv", "quote": "\x01", "delimiter": "\x02"}
                await raw.copy_from_query(query, *args, output=sink, **opts)
            await queue.put(compressor.flush())
        finally:
            await queue.put(None)

    task = asyncio.create_task(run())
    try:
        while (item := await queue.get()) is not None:
            yield item
        await task
    finally:
        task.cancel()
