"""Jobs of the area's applications domain (named domain.verb), run by the area worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.applications import service


async def matching_deadline(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    await service.matching_deadline_passed(conn, payload["_key"], now)


async def execute_switch(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    await service.execute(conn, payload["start"], payload["end"], now)


HANDLERS = {
    "applications.matching_deadline": matching_deadline,
    "switch.execute": execute_switch,
}
