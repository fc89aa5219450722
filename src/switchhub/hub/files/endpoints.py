"""Thin routes of the metering files (metering.md, api.md): the list from a cursor, the download
(streamed from the area, audited), and the published XSD."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response, StreamingResponse

from switchhub.contract.metering import FILE_ID, FileFormat, FileType, schema_xsd
from switchhub.hub.deps import actor_of, require, tx
from switchhub.hub.files import service
from switchhub.hub.files.download import streamed
from switchhub.hub.files.schemas import DOWNLOAD_MEDIA, XSD_MEDIA, MeteringFileList
from switchhub.hub.relays.endpoints import DateQuery, query_date
from switchhub.kernel.caller import Caller

router = APIRouter(prefix="/api/v1", tags=["metering"])


def _codes(values: list[str]) -> str:
    return "^((" + "|".join(values) + "))?$"


@router.get("/metering/files", response_model=MeteringFileList,
            summary="計量データ一覧（30分電力量・確定使用量・標準化帳票） (my metering files from a cursor)",
            openapi_extra={"x-interface-ids": ["SH_METERING_FILES"]})
async def list_files(
    request: Request,
    cursor: Annotated[str, Query(max_length=200, description="前回の next_cursor（初回は空）")] = "",
    type: Annotated[str, Query(pattern=_codes([t.value for t in FileType]), description="ファイル種別")] = "",
    date_from: DateQuery = None, date_to: DateQuery = None,
    revision: Annotated[str, Query(pattern="^(latest|all)$", description="latest: 最新の版のみ, all: 全版")] = "latest",
    per_page: Annotated[int, Query(ge=1, le=service.MAX_PER_PAGE)] = service.PER_PAGE,
    caller: Caller = Depends(require(service.READ)),
) -> dict:
    """The caller's files (a retailer: those addressed to it; a T&D: those of its areas; OCCTO: all),
    oldest first after the cursor; `next_cursor` continues where this page ended, and a later call
    with it returns exactly the files published since (no gap, no repeat)."""
    q = service.FileQuery(type=type, date_from=query_date(date_from, "date_from"),
                          date_to=query_date(date_to, "date_to"), revision=revision)
    async with tx(request) as conn:
        return await service.list_files(conn, actor_of(request, caller), q, cursor, per_page)


@router.get("/metering/files/{file_id}", summary="計量データのダウンロード (ZIP holding one XML, or JSON)",
            response_class=StreamingResponse, openapi_extra={"x-interface-ids": ["SH_METERING_FILE"]},
            responses={200: {"content": DOWNLOAD_MEDIA, "description": "the file as the area stored it", "headers": {
                "Content-Disposition": {"description": "attachment; filename", "schema": {"type": "string"}},
                "X-Metering-Revision": {"description": "版", "schema": {"type": "integer"}}}}})
async def download(file_id: Annotated[str, Path(max_length=40, json_schema_extra={"pattern": FILE_ID})],
                   request: Request, format: FileFormat = FileFormat.ZIP,
                   caller: Caller = Depends(require(service.READ))) -> StreamingResponse:
    return await streamed(request.app.state.engine, request.app.state.areas,
                          actor_of(request, caller, purpose="metering"), file_id, format)


@router.get("/metering/schema.xsd", summary="計量データの XML スキーマ（switchhub 独自の表現） (the published XSD)",
            response_class=Response, openapi_extra={"x-interface-ids": ["SH_METERING_SCHEMA"]},
            responses={200: {"content": XSD_MEDIA, "description": "XML Schema"}})
async def published_schema(caller: Caller = Depends(require(service.READ))) -> Response:
    """The structure of the XML in every metering ZIP (metering.md). The official schema is given only
    to registered users; this is switchhub's own rendering of the same structure, and says so."""
    return Response(schema_xsd(), media_type="application/xml")
