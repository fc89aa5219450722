"""Async engines and the one-transaction-per-request/job boundary.

Services receive an `AsyncConnection` that is already inside a transaction and never
commit; the boundary (request dependency, job runner, CLI) commits or rolls back.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from switchhub.db import driver
from switchhub.db.urls import async_url


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    return _guarded(create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=False,
        connect_args={"server_settings": {"timezone": "Asia/Tokyo", "application_name": "switchhub"}},
    ))


def _guarded(engine: AsyncEngine) -> AsyncEngine:
    """No SQLAlchemy statement runs while the connection holds driver writes (driver.hold)."""
    event.listen(engine.sync_engine, "before_cursor_execute", driver.refuse_while_held)
    return engine


def lookup_reader(engine: AsyncEngine, *, pool_size: int = 10, autocommit: bool = True,
                  max_overflow: int = 10) -> AsyncEngine:
    """Engine with generic plans, for primary-key work on partitioned tables (autocommit for reads).

    Custom plans re-plan every execution, and planning a lookup across the partitioned point,
    period and customer tables cost ~0.7 ms against ~0.1 ms of execution (bench/lookup.py).
    Not for searches: a generic plan cannot use an index for `LIKE $1` prefixes.
    """
    return _planned_engine(engine, "switchhub-lookup", "force_generic_plan", pool_size, max_overflow, autocommit)


def search_reader(engine: AsyncEngine, *, pool_size: int = 5, max_overflow: int = 5) -> AsyncEngine:
    """Engine with custom plans, for searches by prefixes (autocommit reads).

    asyncpg prepares every statement, and after five executions PostgreSQL may switch a prepared
    statement to its generic plan: one where `town_norm LIKE $1` is no index range, because the prefix
    is not known. The address search then read every point of a city: p99 62.6 ms against 10.9 ms with
    custom plans on 10 M points (docs/benchmarks.md P5). Planning a search costs ≈ 0.3 ms.
    """
    return _planned_engine(engine, "switchhub-search", "force_custom_plan", pool_size, max_overflow, True)


def _planned_engine(engine: AsyncEngine, name: str, plan_cache_mode: str, pool_size: int, max_overflow: int,
                    autocommit: bool) -> AsyncEngine:
    """A pool of its own on the engine's database, every session with that plan cache mode."""
    return _guarded(create_async_engine(
        engine.url, pool_size=pool_size, max_overflow=max_overflow,
        **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}),
        connect_args={"server_settings": {"timezone": "Asia/Tokyo", "application_name": name,
                                          "plan_cache_mode": plan_cache_mode}},
    ))


_AUTOCOMMIT: "weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine]" = weakref.WeakKeyDictionary()


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """The engine's autocommit view (same pool), made once per engine: reads without BEGIN/COMMIT
    round trips, and single statements that commit when they return. `execution_options` builds a
    new option engine each call, which cost ≈ 3 % of the hub's CPU per lookup (docs/benchmarks.md P1)."""
    view = _AUTOCOMMIT.get(engine)
    if view is None:
        view = _AUTOCOMMIT[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return view


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """Commit on success, roll back on any exception."""
    async with engine.begin() as conn:
        yield conn
