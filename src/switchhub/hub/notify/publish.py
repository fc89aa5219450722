"""One entry point for domain code to announce an event to operators (P8).

Called inside the transaction of the change: the deliveries it creates commit with the
change or not at all, and the worker sends them after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection


async def publish(conn: AsyncConnection, kind: str, operators: list[str], data: dict[str, Any], event_id: str,
                  now: datetime) -> int:
    from switchhub.hub.notify.service import fan_out

    return await fan_out(conn, operator_codes=sorted(set(operators)), event_id=event_id, event_kind=kind,
                         payload=data, now=now)


@dataclass(frozen=True)
class Event:
    operators: list[str]
    data: dict[str, Any]
    event_id: str


async def publish_many(conn: AsyncConnection, kind: str, events: list[Event], now: datetime) -> int:
    """`publish` for many events of one kind (a bulk file's relays): one statement for all."""
    from switchhub.hub.notify.service import fan_out_many

    return await fan_out_many(conn, event_kind=kind, events=[(sorted(set(e.operators)), e.event_id, e.data)
                                                             for e in events], now=now)
