"""Jobs of the relay domain (keyed by relay number: each relay expires once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.relays import service


async def expire_undecided(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    await service.expire(conn, payload["_key"], "expire_undecided", now)


async def expire_no_application(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    await service.expire(conn, payload["_key"], "expire_no_application", now)


HANDLERS = {
    "relays.expire_undecided": expire_undecided,
    "relays.expire_no_application": expire_no_application,
}
