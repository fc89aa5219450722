"""Jobs of the area's applications domain (named domain.verb), run by the area worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.applications import execution, matching


async def matching_deadline(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    await matching.deadline_passed(conn, payload["_key"], now)


async def execute_switch(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    await execution.execute_switch(conn, payload["start"], payload["end"], now)


async def schedule(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    """The date of an application (not a switch) is fixed: → 05, keyed per application."""
    await execution.schedule(conn, payload["_key"], now)


async def execute(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    """On its date (JST midnight), keyed per application: the type's change is made."""
    await execution.execute(conn, payload["_key"], now)


HANDLERS = {
    matching.DEADLINE_JOB: matching_deadline,
    matching.EXECUTE_JOB: execute_switch,
    execution.SCHEDULE_JOB: schedule,
    execution.EXECUTE_JOB: execute,
}
