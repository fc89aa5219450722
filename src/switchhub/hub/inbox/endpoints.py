"""`POST /internal/v1/area-events`: area events, accepted only from area certificates (thin route)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from switchhub.contract.events import AreaEventBatch
from switchhub.httpkit import parse_body, request_id
from switchhub.hub.audit.context import Actor
from switchhub.hub.inbox import service
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock

router = APIRouter(include_in_schema=False)


def _area_actor(request: Request) -> Actor:
    cert = request.state.area_cert
    return Actor(Caller("", "tso", request.state.area_cert_areas, cert_fingerprint=cert.fingerprint_sha256),
                 channel="system", request_id=request_id(request),
                 remote_addr=request.client.host if request.client else "", purpose="operation")


@router.post("/internal/v1/area-events")
async def receive(request: Request) -> dict:
    batch = await parse_body(request, AreaEventBatch)
    bound: frozenset[str] = request.state.area_cert_areas
    foreign = service.foreign_areas(bound, batch.events)
    if foreign:
        async with request.app.state.engine.begin() as conn:
            refusal = await service.refuse_foreign(conn, _area_actor(request), request.state.area_cert.subject, bound,
                                                   batch.events, foreign)
        raise refusal
    async with request.app.state.engine.begin() as conn:
        return await service.receive(conn, batch.events, get_clock().now())
