"""An asyncpg pool beside a SQLAlchemy engine, for the few hot-path reads that use nothing of SQLAlchemy.

Why: the area's facility lookup runs one statement by the driver (db/driver.py), yet took its
connection from SQLAlchemy's pool: the checkout, the driver connection and the return each ran
through a greenlet, ≈ 0.1 ms of the area's 0.84 ms of CPU per lookup (docs/benchmarks.md P1). This
pool hands out asyncpg connections directly, with what the engine's sessions have: the same
database, Asia/Tokyo as the session time zone, the plan cache mode of the engine it stands for, and
SQLAlchemy's JSON decoding (json and jsonb as Python values, not text). Reads only, in autocommit.

A pool belongs to one event loop; it is opened on first use in the running loop (again if the loop
changed: tests run each in a loop of their own) and closed by `close()`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from switchhub.db.urls import plain_url


async def _json_codecs(conn: asyncpg.Connection) -> None:
    """json and jsonb decoded as SQLAlchemy's asyncpg dialect decodes them (its on_connect)."""
    await conn.set_type_codec("json", encoder=str.encode, decoder=lambda b: json.loads(b.decode()),
                              schema="pg_catalog", format="binary")
    await conn.set_type_codec("jsonb", encoder=lambda s: b"\x01" + s.encode(),
                              decoder=lambda b: json.loads(b[1:].decode()), schema="pg_catalog", format="binary")


async def _nothing_to_reset(conn: asyncpg.Connection) -> None:
    """What the pool runs on a connection it takes back, after asyncpg has rolled back a transaction
    left open: nothing. asyncpg's default reset is one more round trip per lookup
    (`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`), and this
    pool's connections run single reads only: no advisory locks, cursors, LISTEN or SET to undo."""


class RawPool:
    def __init__(self, url: Any, *, max_size: int, name: str, plan_cache_mode: str) -> None:
        self.dsn = plain_url(url.render_as_string(hide_password=False) if hasattr(url, "render_as_string") else url)
        self.max_size, self.name, self.plan_cache_mode = max_size, name, plan_cache_mode
        self._pool: asyncpg.Pool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Lock | None = None

    async def pool(self) -> asyncpg.Pool:
        """The pool of the running loop (`async with (await raw.pool()).acquire() as conn`)."""
        loop = asyncio.get_running_loop()
        if self._pool is not None and self._loop is loop:
            return self._pool
        if self._opening is None or self._loop is not loop:
            self._opening, self._loop = asyncio.Lock(), loop
            if self._pool is not None:  # of another loop: its connections cannot be closed politely
                _terminate(self._pool)
                self._pool = None
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self.dsn, min_size=1, max_size=self.max_size, init=_json_codecs, reset=_nothing_to_reset,
                    server_settings={"timezone": "Asia/Tokyo", "application_name": self.name,
                                     "plan_cache_mode": self.plan_cache_mode})
        return self._pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        async with (await self.pool()).acquire() as conn:
            yield conn

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if self._loop is asyncio.get_running_loop():
            await pool.close()
        else:
            _terminate(pool)


def _terminate(pool: asyncpg.Pool) -> None:
    try:
        pool.terminate()
    except RuntimeError:  # its loop is closed, and its sockets with it
        pass
