"""Jobs of the applications index: the one-off backfill of usage password requests (type 08) per area.

Requests filed before the index held type 08 (hub migrations 0006/0007) are only in the areas'
databases. `applications.usage_backfill` keyed `<area>:v1` pages the area's list of retailer
requests (/area/v1/usage-passwords, OCCTO only, no customer data) and indexes each as its filing
would have (list_service.backfill_usage). The worker enqueues the keys every round, which costs
nothing once they exist: each area's backfill runs once (db/jobs.py: unique `(kind, key)`, done in
the transaction of the rows it writes), also across restarts, and is retried with back-off while
the area is unreachable. A later need to run it again is a new key version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db.jobs import Handler, enqueue_many
from switchhub.hub.applications import list_service
from switchhub.hub.gateway.client import AreaClient
from switchhub.kernel.caller import Caller

USAGE_BACKFILL = "applications.usage_backfill"
VERSION = "v1"
#: the hub itself, reading an area's list as OCCTO's system (no person acts)
SYSTEM = Caller("HUB00", "occto", user_login="switchhub-backfill", role="admin")


async def schedule(conn: AsyncConnection, now: datetime, areas: list[str]) -> None:
    """One backfill per area, ever (idempotent: existing keys are left alone)."""
    await enqueue_many(conn, USAGE_BACKFILL, [(f"{area}:{VERSION}", now) for area in sorted(areas)])


def handlers(areas: AreaClient) -> dict[str, Handler]:
    async def backfill(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
        await list_service.backfill_usage(conn, areas, SYSTEM, payload["_key"].split(":")[0], now)

    return {USAGE_BACKFILL: backfill}
