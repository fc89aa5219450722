"""The break-glass housekeeping job: mark grants whose end time passed as expired, for the lists.

A grant stops opening fields at `ends_at` whatever this job does (validity is computed from the
clock); the job only moves its status through the `expire` rule so lists and filters show it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from switchhub.hub.breakglass.service import expire_ended


async def mark_expired(engine: AsyncEngine, now: datetime) -> list[str]:
    async with engine.begin() as conn:
        return await expire_ended(conn, now)
