"""Area events as the hub applies them: each kind has one handler in `HANDLERS`.

Delivered at least once from each area's outbox; the (area, event id) key drops duplicates, and
an event's effects (relay status, notifications) commit with its key, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.contract.events import AreaEvent, EventKind, MeteringFilePublished, StageChanged
from switchhub.hub.accounts.repository import operators
from switchhub.hub.applications import list_service as worklist
from switchhub.hub.audit.context import Actor
from switchhub.hub.audit.repository import write
from switchhub.hub.files import service as metering_files
from switchhub.hub.inbox import repository as repo
from switchhub.hub.notify.publish import publish
from switchhub.hub.relays import service as relays
from switchhub.kernel.errors import Forbidden, InputError

Handler = Callable[[AsyncConnection, Any, AreaEvent, datetime], Awaitable[None]]


async def _stage_changed(conn: AsyncConnection, payload: StageChanged, ev: AreaEvent, now: datetime) -> None:
    # the relay first, then the application's index row: the order in which a switch-start filed on a
    # relay takes them (relay locked, the area's answer, the index row), since the area's event for that
    # filing can arrive while the filing's transaction is still open. In the other order the two
    # waited for each other (a deadlock found by bench/soak.py; tests/flow/test_inbox_lock_order.py)
    await relays.on_stage_changed(conn, payload, now)
    await worklist.index_stage_change(conn, ev.area, ev.id, payload, now)
    await publish(conn, EventKind.APPLICATION_STAGE_CHANGED.value, [payload.applicant_code], payload.model_dump(),
                  f"area-{ev.area}-{ev.id}", now)


async def _matched(conn: AsyncConnection, payload: Any, ev: AreaEvent, now: datetime) -> None:
    await relays.on_switch_matched(conn, payload, now)


async def _match_failed(conn: AsyncConnection, payload: Any, ev: AreaEvent, now: datetime) -> None:
    await relays.on_match_failed(conn, payload, now)


async def _to_applicant(conn: AsyncConnection, payload: Any, ev: AreaEvent, now: datetime) -> None:
    """Usage password issued / rejected: to the applicant (the event never carries the password). The
    customer's own request (public page: no applicant code) has no operator to notify; the area mails
    the customer itself, and the event stays on record (area_events). The applicant's worklist row
    moves to 06 / 09."""
    if payload.applicant_code is None:
        return
    await worklist.index_usage_decided(conn, ev.area, ev.id, payload, now)
    await publish(conn, ev.kind.value, [payload.applicant_code], payload.model_dump(), f"area-{ev.area}-{ev.id}", now)


async def _to_area_tso(conn: AsyncConnection, payload: Any, ev: AreaEvent, now: datetime) -> None:
    """A review nears or passed its deadline: to the T&D operator(s) of the area."""
    tsos = [o["code"] for o in await operators(conn, kind="tso", area=ev.area)]
    await publish(conn, ev.kind.value, tsos, payload.model_dump(), f"area-{ev.area}-{ev.id}", now)


async def _file_published(conn: AsyncConnection, payload: MeteringFilePublished, ev: AreaEvent,
                          now: datetime) -> None:
    await metering_files.index_published(conn, payload, f"area-{ev.area}-{ev.id}", now)


async def _nothing(conn: AsyncConnection, payload: Any, ev: AreaEvent, now: datetime) -> None:
    """Kept for the record (area_events); the stage-changed events of the pair carry the effects."""


HANDLERS: dict[EventKind, Handler] = {
    EventKind.APPLICATION_STAGE_CHANGED: _stage_changed,
    EventKind.SWITCH_MATCHED: _matched,
    EventKind.SWITCH_MATCH_FAILED: _match_failed,
    EventKind.SWITCH_COMPLETED: _nothing,
    EventKind.SWITCH_WITHDRAWN: _nothing,
    EventKind.USAGE_PASSWORD_ISSUED: _to_applicant,
    EventKind.USAGE_PASSWORD_REJECTED: _to_applicant,
    EventKind.USAGE_REVIEW_DUE: _to_area_tso,
    EventKind.USAGE_REVIEW_OVERDUE: _to_area_tso,
    EventKind.METERING_FILE_PUBLISHED: _file_published,
}


def foreign_areas(bound: frozenset[str], events: list[AreaEvent]) -> list[str]:
    """Areas named by the batch that the sending certificate does not speak for."""
    return sorted({ev.area for ev in events} - bound)


async def refuse_foreign(conn: AsyncConnection, actor: Actor, subject: str, bound: frozenset[str],
                         events: list[AreaEvent], foreign: list[str]) -> Forbidden:
    """An area certificate speaks only for its own areas: the batch is refused whole and leaves an
    alert record for OCCTO (written by the caller's transaction)."""
    await write(conn, actor.alert("area_event.foreign_area", resource_type="area_event",
                                  resource_ids=[str(ev.id) for ev in events if ev.area in foreign],
                                  outcome="refused", detail={"areas": foreign, "certificate_areas": sorted(bound),
                                                             "subject": subject}))
    return Forbidden(f"この証明書はエリア {', '.join(foreign)} のイベントを送信できません",
                     f"This certificate may not post events for area(s) {', '.join(foreign)}",
                     code="area_not_bound", extra={"areas": foreign})


async def receive(conn: AsyncConnection, events: list[AreaEvent], now: datetime) -> dict[str, int]:
    """Apply a batch in order; a payload that does not fit its kind refuses the batch (nothing applied)."""
    typed = []
    for ev in events:
        try:
            typed.append((ev, ev.typed()))
        except ValidationError as exc:
            raise InputError.single(f"events[{ev.id}].payload", "invalid_payload",
                                    f"イベント {ev.id}（{ev.kind.value}）の内容が契約と一致しません: {exc.errors()[0]['msg']}",
                                    f"Event {ev.id} ({ev.kind.value}) does not match the contract") from None
    accepted = duplicates = 0
    for ev, payload in typed:
        if not await repo.record(conn, ev.area, ev.id, ev.kind.value, ev.payload):
            duplicates += 1
            continue
        accepted += 1
        await HANDLERS[ev.kind](conn, payload, ev, now)
    return {"accepted": accepted, "duplicates": duplicates}
