"""Thin routes of the area's readings API: the meter data source's 30-minute rows and monthly totals, ingested for one area."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from switchhub.area.deps import acting_caller
from switchhub.area.readings import service
from switchhub.area.readings.checks import RawRow
from switchhub.contract.readings import IngestAnswer, IngestMonthlyAnswer, IngestMonthlyRequest, IngestRequest
from switchhub.httpkit import json_body
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import NotFound

router = APIRouter(prefix="/area/v1", tags=["readings"])


@router.post("/readings:ingest", summary="30分電力量の取込", response_model=IngestAnswer)
async def ingest(request: Request, caller: Caller = Depends(acting_caller),
                 body: Any = json_body(IngestRequest)) -> dict:
    service.check_ingester(caller, body.area)
    if body.area not in request.app.state.settings.served_areas:
        raise NotFound("このエリアは担当していません", "This area is not served here")
    rows = [RawRow(n, r.spid, r.date, str(r.slot), r.kwh, r.status) for n, r in enumerate(body.rows, start=1)]
    async with request.app.state.engine.begin() as conn:  # one transaction: all rows or none
        done = await service.ingest_rows(conn, body.area, rows)
    return done.as_dict()


@router.post("/readings:ingest-monthly", summary="月間確定値の取込", response_model=IngestMonthlyAnswer)
async def ingest_monthly(request: Request, caller: Caller = Depends(acting_caller),
                         body: Any = json_body(IngestMonthlyRequest)) -> dict:
    service.check_ingester(caller, body.area)
    if body.area not in request.app.state.settings.served_areas:
        raise NotFound("このエリアは担当していません", "This area is not served here")
    rows = [[r.spid, r.billing_month, r.kwh, r.max_demand_kw, r.power_factor, r.next_reading_date] for r in body.rows]
    async with request.app.state.engine.begin() as conn:  # one transaction: all rows or none
        done = await service.ingest_monthly_rows(conn, body.area, rows)
    return done.as_dict()
