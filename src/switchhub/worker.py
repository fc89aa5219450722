"""The background worker: periodic housekeeping now; outbox delivery and deadlines join it.

Every job runs in its own transaction and is safe to run twice (restarts re-run it).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text

from switchhub.config import Settings
from switchhub.db.embedded import resolve_urls
from switchhub.db.engine import make_engine

log = logging.getLogger("switchhub.worker")


async def housekeeping(hub_engine) -> None:
    """Drop idempotency keys older than 7 days (api.md) and end expired web sessions."""
    async with hub_engine.begin() as conn:
        await conn.execute(text("DELETE FROM idempotency_keys WHERE created_at < now() - interval '7 days'"))
        await conn.execute(text("UPDATE web_sessions SET ended_at = now() WHERE ended_at IS NULL"
                                " AND (last_seen_at < now() - interval '30 minutes'"
                                " OR created_at < now() - interval '12 hours')"))


async def run_worker(settings: Settings, *, interval: float = 60.0) -> None:
    hub_url, _ = resolve_urls(settings)
    hub_engine = make_engine(hub_url, pool_size=2)
    try:
        while True:
            try:
                await housekeeping(hub_engine)
            except Exception:
                log.exception("housekeeping failed; retrying next round")
            await asyncio.sleep(interval)
    finally:
        await hub_engine.dispose()
