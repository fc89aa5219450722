"""Request-scoped dependencies of the area app: a read connection (autocommit) and the acting caller.

State changes (applications) open their own transaction in the endpoint and commit at its end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import asyncpg
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import Forbidden


async def area_conn(request: Request) -> AsyncIterator[AsyncConnection]:
    async with request.app.state.reader.connect() as conn:
        yield conn


async def lookup_conn(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """The facility lookups' read connection: asyncpg's own, without SQLAlchemy (db/rawpool.py)."""
    async with request.app.state.lookup_pool.connection() as conn:
        yield conn


async def search_conn(request: Request) -> AsyncIterator[AsyncConnection]:
    async with request.app.state.search_reader.connect() as conn:
        yield conn


async def acting_caller(request: Request) -> Caller:
    caller = getattr(request.state, "caller", None)
    if caller is None:
        raise Forbidden("操作する事業者が指定されていません", "No acting operator")
    return caller


async def today() -> date:
    return get_clock().today()
