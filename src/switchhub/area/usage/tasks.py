"""Jobs of the area's usage password domain (named domain.verb), keyed per request, run by the area worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.usage import service


async def remind(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    """The review deadline's morning: the area's T&D is reminded of an undecided request (once)."""
    await service.remind(conn, payload["_key"], now)


async def overdue(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    """The day after the deadline: an alert for a request still undecided (once)."""
    await service.overdue(conn, payload["_key"], now)


async def expire(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    await service.expire(conn, payload["_key"], now)


HANDLERS = {
    service.REMIND_JOB: remind,
    service.OVERDUE_JOB: overdue,
    service.EXPIRE_JOB: expire,
}
