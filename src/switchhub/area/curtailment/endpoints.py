"""Thin route of the area's curtailment events: the T&D's dispatch records (制限・中止) ingested for one area."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from switchhub.area.curtailment import service
from switchhub.area.deps import acting_caller
from switchhub.area.readings.service import check_ingester
from switchhub.contract.readings import IngestCurtailmentAnswer, IngestCurtailmentRequest
from switchhub.httpkit import json_body
from switchhub.kernel.caller import Caller
from switchhub.kernel.errors import NotFound

router = APIRouter(prefix="/area/v1", tags=["readings"])


@router.post("/curtailment-events:ingest", summary="制限・中止の取込", response_model=IngestCurtailmentAnswer)
async def ingest(request: Request, caller: Caller = Depends(acting_caller),
                 body: Any = json_body(IngestCurtailmentRequest)) -> dict:
    check_ingester(caller, body.area)
    if body.area not in request.app.state.settings.served_areas:
        raise NotFound("このエリアは担当していません", "This area is not served here")
    rows = [[r.spid, r.kind, r.starts_at, r.ends_at, r.reason, r.discount_rate] for r in body.rows]
    async with request.app.state.engine.begin() as conn:  # one transaction: all rows or none
        done = await service.ingest_rows(conn, body.area, rows)
    return done.as_dict()
