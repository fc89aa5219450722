"""Statistics API: the stored figures as JSON, or as CSV (`?format=csv` or `Accept: text/csv`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from switchhub.hub.deps import require
from switchhub.hub.statistics import service
from switchhub.hub.statistics.schemas import StatisticsPage
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock

router = APIRouter(prefix="/api/v1", tags=["statistics"])
CSV_MEDIA = {"text/csv": {"schema": {"type": "string", "description": "UTF-8 (BOM 付き) CSV"}}}


def wants_csv(request: Request, format: str) -> bool:
    return format == "csv" or (not format and "text/csv" in request.headers.get("accept", ""))


@router.get("/statistics", summary="統計（エリア別・月別/週別）", response_model=StatisticsPage,
            responses={200: {"content": CSV_MEDIA}}, openapi_extra={"x-interface-ids": ["SH_STATISTICS"]})
async def statistics(request: Request, period: Literal["month", "week"] = "month",
                     from_: Annotated[str, Query(alias="from", max_length=10, description="YYYY-MM-DD")] = "",
                     to: Annotated[str, Query(max_length=10, description="YYYY-MM-DD")] = "",
                     area: Annotated[str, Query(max_length=2)] = "",
                     format: Literal["", "json", "csv"] = "",
                     caller: Caller = Depends(require(service.READ))) -> Response:
    q = service.parse_query({"period": period, "from": from_, "to": to, "area": area}, get_clock().today())
    async with request.app.state.reader.connect() as conn:
        result = await service.read(conn, caller, q)
    if wants_csv(request, format):
        name = f"statistics-{q.period}-{q.first.isoformat()}-{q.last.isoformat()}.csv"
        return Response(service.to_csv(result), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{name}"'})
    return JSONResponse(StatisticsPage.model_validate(result).model_dump(mode="json", by_alias=True))
