"""Area → hub events (`POST /internal/v1/area-events`), accepted only from area certificates.

Delivered at least once from each area's outbox; the (area, event id) key drops
duplicates, and an event's effects (relay status, notifications) commit with its key.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from switchhub.httpkit import parse_body, request_id
from switchhub.hub.audit.repository import AuditEntry, write
from switchhub.hub.notify.publish import publish
from switchhub.hub.relays import service as relays
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import Forbidden

router = APIRouter(include_in_schema=False)


class AreaEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int
    area: str = Field(pattern=r"^(0[1-9]|10)$")
    kind: str = Field(max_length=60)
    payload: dict[str, Any]


class AreaEventBatch(BaseModel):
    events: list[AreaEvent] = Field(max_length=1000)


@router.post("/internal/v1/area-events")
async def receive(request: Request) -> dict:
    batch = await parse_body(request, AreaEventBatch)
    await _refuse_foreign_areas(request, batch)
    now = get_clock().now()
    accepted = duplicates = 0
    async with request.app.state.engine.begin() as conn:
        for ev in batch.events:
            new = (await conn.execute(text(
                "INSERT INTO area_events (area, event_id, kind, payload) VALUES (:a, :i, :k, CAST(:p AS jsonb))"
                " ON CONFLICT DO NOTHING RETURNING event_id"),
                {"a": ev.area, "i": ev.id, "k": ev.kind, "p": __import__("json").dumps(ev.payload)})).first()
            if new is None:
                duplicates += 1
                continue
            accepted += 1
            await relays.on_area_event(conn, ev.kind, ev.payload, now)
            if ev.kind == "application.stage_changed":
                await publish(conn, "application.stage_changed", [ev.payload["applicant_code"]], ev.payload,
                              f"area-{ev.area}-{ev.id}", now)
    return {"accepted": accepted, "duplicates": duplicates}


async def _refuse_foreign_areas(request: Request, batch: AreaEventBatch) -> None:
    """An area certificate speaks only for its own areas: a batch naming another area is refused
    whole (nothing of it is applied) and leaves an alert record for OCCTO."""
    bound: frozenset[str] = request.state.area_cert_areas
    foreign = sorted({ev.area for ev in batch.events} - bound)
    if not foreign:
        return
    cert = request.state.area_cert
    async with request.app.state.engine.begin() as conn:
        await write(conn, AuditEntry(action="alert.area_event.foreign_area", cert_fingerprint=cert.fingerprint_sha256,
                                     resource_type="area_event", resource_ids=[str(ev.id) for ev in batch.events
                                                                               if ev.area in foreign],
                                     outcome="refused", request_id=request_id(request),
                                     remote_addr=request.client.host if request.client else "",
                                     detail={"areas": foreign, "certificate_areas": sorted(bound),
                                             "subject": cert.subject}))
    raise Forbidden(f"この証明書はエリア {', '.join(foreign)} のイベントを送信できません",
                    f"This certificate may not post events for area(s) {', '.join(foreign)}",
                    code="area_not_bound", extra={"areas": foreign})
