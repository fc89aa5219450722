"""Jobs of the metering file index: the hourly catch-up per area (keyed `<area>:<hour>`, so each
area is paged once an hour however many workers run), which needs the area client."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db.jobs import Handler, enqueue_many
from switchhub.hub.files import service
from switchhub.hub.gateway.client import AreaClient
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import JST

CATCH_UP = "files.catch_up"
#: the hub itself, reading every retailer's list of an area as OCCTO's system (no person acts)
SYSTEM = Caller("HUB00", "occto", user_login="switchhub-catch-up", role="admin")


async def schedule(conn: AsyncConnection, now: datetime, areas: list[str]) -> None:
    """One catch-up per area and hour (idempotent: the same hour's keys exist already)."""
    hour = now.astimezone(JST).strftime("%Y-%m-%dT%H")
    await enqueue_many(conn, CATCH_UP, [(f"{area}:{hour}", now) for area in sorted(areas)])


def handlers(areas: AreaClient) -> dict[str, Handler]:
    async def catch_up(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
        await service.catch_up(conn, areas, SYSTEM, payload["_key"].split(":")[0], now)

    return {CATCH_UP: catch_up}
