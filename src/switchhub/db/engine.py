"""Async engines and the one-transaction-per-request/job boundary.

Services receive an `AsyncConnection` that is already inside a transaction and never
commit; the boundary (request dependency, job runner, CLI) commits or rolls back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from switchhub.db.urls import async_url


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=False,
        connect_args={"server_settings": {"timezone": "Asia/Tokyo", "application_name": "switchhub"}},
    )


def lookup_reader(engine: AsyncEngine, *, pool_size: int = 10, autocommit: bool = True) -> AsyncEngine:
    """Engine with generic plans, for primary-key work on partitioned tables (autocommit for reads).

    Custom plans re-plan every execution, and planning a lookup across the partitioned point,
    period and customer tables cost ~0.7 ms against ~0.1 ms of execution (bench/lookup.py).
    Not for searches: a generic plan cannot use an index for `LIKE $1` prefixes.
    """
    return create_async_engine(
        engine.url, pool_size=pool_size, max_overflow=10,
        **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}),
        connect_args={"server_settings": {"timezone": "Asia/Tokyo", "application_name": "switchhub-lookup",
                                          "plan_cache_mode": "force_generic_plan"}},
    )


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """Commit on success, roll back on any exception."""
    async with engine.begin() as conn:
        yield conn
