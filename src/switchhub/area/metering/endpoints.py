"""Thin routes of the area's metering files (/area/v1/metering/files): list from a cursor, download."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.deps import acting_caller, area_conn
from switchhub.area.metering import service
from switchhub.contract.metering import FileFormat, FileType, MeteringFilePage
from switchhub.kernel.caller import Caller

router = APIRouter(prefix="/area/v1", tags=["metering"])
BIGINT_MAX = 2**63 - 1
_BINARY = {"type": "string", "contentMediaType": "application/zip", "contentEncoding": "binary"}
DOWNLOAD = {200: {"description": "ZIP (one XML) or its JSON rendering", "content": {
    "application/zip": {"schema": _BINARY}, "application/json": {"schema": {"type": "object"}}}, "headers": {
    "X-Metering-File-Name": {"description": "ファイル名", "schema": {"type": "string"}},
    "X-Metering-Revision": {"description": "版", "schema": {"type": "integer"}}}}}


@router.get("/metering/files", summary="計量データファイル一覧", response_model=MeteringFilePage)
async def list_files(
    request: Request,
    retailer: Annotated[str | None, Query(pattern=r"^[A-Z0-9]{5}$")] = None,
    area: Annotated[str | None, Query(pattern=r"^(0[1-9]|10)$")] = None,
    after: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    type: Annotated[list[FileType] | None, Query()] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    caller: Caller = Depends(acting_caller), conn: AsyncConnection = Depends(area_conn),
) -> dict:
    return await service.list_files(conn, caller, request.app.state.settings.served_areas, retailer=retailer,
                                    area=area, after=after, limit=limit,
                                    types=[t.value for t in type] if type else None,
                                    date_from=date_from, date_to=date_to)


@router.get("/metering/files/{file_id}", summary="計量データファイルのダウンロード", response_class=Response,
            responses=DOWNLOAD)
async def download(file_id: Annotated[str, Path(max_length=40)], request: Request,
                   format: FileFormat = FileFormat.ZIP, caller: Caller = Depends(acting_caller),
                   conn: AsyncConnection = Depends(area_conn)) -> Response:
    row, body = await service.download(conn, caller, request.app.state.settings.served_areas, file_id, format.value)
    media = "application/json" if format is FileFormat.JSON else "application/zip"
    name = row["name"] if format is FileFormat.ZIP else row["name"].removesuffix(".zip") + ".json"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Metering-File-Name": name,
        "X-Metering-Revision": str(row["revision"]), "X-Content-SHA256": row["sha256"]})
