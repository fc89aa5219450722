"""Thin route of the applications worklist: parse the filters, make the actor, call the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from switchhub.hub.applications import list_service as service
from switchhub.hub.applications.schemas import ApplicationList
from switchhub.hub.deps import actor_of, require, tx
from switchhub.hub.relays.endpoints import DateQuery, query_date
from switchhub.kernel.caller import Caller
from switchhub.kernel.codes import ApplicationStage, ApplicationType, Area

router = APIRouter(prefix="/api/v1", tags=["applications"])


def _codes(enum: type) -> str:
    return "^((" + "|".join(m.value for m in enum) + "))?$"


@router.get("/applications:search", response_model=ApplicationList,
            summary="申込一覧（自社の申込・自エリアの申込） (my applications, from the hub's index)",
            openapi_extra={"x-interface-ids": ["SH_APPLICATION_SEARCH"]})
async def search(
    request: Request,
    type: Annotated[str, Query(pattern=_codes(ApplicationType), description="申込種別")] = "",
    stage: Annotated[str, Query(pattern=_codes(ApplicationStage), description="受付工程")] = "",
    area: Annotated[str, Query(pattern=_codes(Area), description="エリア")] = "",
    spid: Annotated[str, Query(max_length=40, json_schema_extra={"pattern": r"^((0[1-9]|10)[0-9]{20})?$"},
                               description="供給地点特定番号")] = "",
    received_from: DateQuery = None, received_to: DateQuery = None,
    date_from: DateQuery = None, date_to: DateQuery = None,
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=service.MAX_PER_PAGE)] = service.PER_PAGE,
    caller: Caller = Depends(require("hub:applications:read")),
) -> dict:
    """The caller's applications (a retailer: those it filed; a T&D: those of its areas; OCCTO's
    helpdesk: all), newest received first, `per_page` (20, at most 100) a page with the total."""
    q = service.ApplicationQuery(
        type=type, stage=stage, area=area, spid=spid,
        received_from=query_date(received_from, "received_from"), received_to=query_date(received_to, "received_to"),
        date_from=query_date(date_from, "date_from"), date_to=query_date(date_to, "date_to"))
    async with tx(request) as conn:
        return await service.search(conn, actor_of(request, caller), q, page, per_page)
