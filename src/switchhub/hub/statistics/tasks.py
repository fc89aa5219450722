"""The statistics refresh: a keyed job per period and hour (`<kind>:<period start>@<JST hour>`).

Incremental: each hour only the open period and the one before it (late events: an application's
stage, a relay decided after the month ended) are recomputed, for months and ISO weeks; closed
periods keep their figures. However many workers run, a key runs once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db.jobs import enqueue_many
from switchhub.hub.statistics import service
from switchhub.kernel.clock import JST

REFRESH = "statistics.refresh"


def keys_due(now: datetime) -> list[str]:
    local = now.astimezone(JST)
    hour = local.strftime("%Y-%m-%dT%H")
    keys = []
    for kind in service.PERIODS:
        current = service.period_start(kind, local.date())
        for start in (service.previous_period(kind, current), current):
            keys.append(f"{kind}:{start.isoformat()}@{hour}")
    return keys


async def schedule(conn: AsyncConnection, now: datetime) -> None:
    await enqueue_many(conn, REFRESH, [(key, now) for key in keys_due(now)])


async def refresh(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    kind, _, rest = payload["_key"].partition(":")
    await service.refresh(conn, kind, date.fromisoformat(rest.split("@")[0]), now)


HANDLERS = {REFRESH: refresh}
