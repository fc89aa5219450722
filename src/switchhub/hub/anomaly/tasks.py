"""The daily access-log analysis: a keyed job per JST day (`anomaly.analyse`, key `YYYY-MM-DD`),
due at 03:00 JST, analysing the 7 days before that day. A day is analysed once however many
workers run; a rerun (e.g. by hand) finds nothing new (the findings' unique key)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db.jobs import enqueue
from switchhub.hub.anomaly import service
from switchhub.kernel.clock import JST

ANALYSE = "anomaly.analyse"
DUE = time(3, 0)


async def schedule(conn: AsyncConnection, now: datetime) -> None:
    day = now.astimezone(JST).date()
    await enqueue(conn, ANALYSE, day.isoformat(), datetime.combine(day, DUE, JST))


async def analyse(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    await service.analyse(conn, date.fromisoformat(payload["_key"]), now)


HANDLERS = {ANALYSE: analyse}
