"""Hot-path statements sent straight to the asyncpg driver of a pooled SQLAlchemy connection.

Why: on the facility lookup (targets.md P1) SQLAlchemy's execution layer (compiling the text
clause, building the execution context and the result) cost ≈ 15 % of the hub's and the area's CPU
per lookup, and ≈ 15–19 % of both services' CPU per complete switch (P3, py-spy), for statements
whose text never changes. These statements are written with the same `:name` parameters as
everywhere else; `fetch` turns them into asyncpg's `$n` once per text and runs them on the
connection the request already holds (same transaction, same pool, asyncpg's own prepared-statement
cache). The repositories still own the SQL; this only runs it. A database error arrives as the
driver's (asyncpg's, with its `sqlstate`), which the error handlers read through either wrapper.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.db import together

#: a connection `fetch` runs statements on: SQLAlchemy's (autocommit, or in a transaction) or asyncpg's
Reader = AsyncConnection | asyncpg.Connection

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@functools.lru_cache(maxsize=256)
def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """`:name` parameters → `$n` (a name used twice is one parameter), and the names in order."""
    names: list[str] = []

    def number(m: re.Match[str]) -> str:
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    return _PARAM.sub(number, sql), tuple(names)


async def fetch(conn: Reader, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of `sql` (with `:name` parameters) as dicts, run by the driver of `conn`: a driver
    connection already (db/rawpool.py), or the one a SQLAlchemy connection holds, in its transaction
    when it has begun one (`_driver_of`)."""
    positional_sql, names = positional(sql)
    args = [params[n] for n in names]
    if not isinstance(conn, AsyncConnection):
        return [dict(r) for r in await conn.fetch(positional_sql, *args)]
    await send_held(conn)
    async with _driver_of(conn) as raw:
        return [dict(r) for r in await raw.fetch(positional_sql, *args)]


async def fetch_one(conn: Reader, sql: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The first row of `sql` as a dict (None: no row), run as `fetch` runs it."""
    rows = await fetch(conn, sql, params)
    return rows[0] if rows else None


async def execute(conn: AsyncConnection, sql: str, params: Mapping[str, Any]) -> int:
    """A statement without rows (an INSERT), run as `fetch` runs it; how many rows it wrote (the
    count of its command tag, `INSERT 0 3` → 3; 0 for a tag without one)."""
    await send_held(conn)
    positional_sql, names = positional(sql)
    async with _driver_of(conn) as raw:
        tag = await raw.execute(positional_sql, *(params[n] for n in names))
    count = tag.rsplit(" ", 1)[-1]
    return int(count) if count.isdigit() else 0


async def write(conn: AsyncConnection, sql: str, params: Mapping[str, Any]) -> None:
    """A write whose rows and count nobody reads: held when `conn` holds writes (`hold`), else sent."""
    held: _Held | None = conn.info.get(HELD)
    if held is None:
        await execute(conn, sql, params)
        return
    tables, names = together.targets(sql), together.names(sql)
    if held.tables & tables or held.names & names:
        await send_held(conn)
    held.writes.append((sql, params))
    held.tables |= tables
    held.names |= names


@dataclass
class _Held:
    writes: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)
    tables: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()


#: connection info key: the writes a `hold` block holds
HELD = "switchhub_held_writes"


@contextlib.asynccontextmanager
async def hold(conn: AsyncConnection) -> AsyncIterator[None]:
    """Within the block, the `write`s on `conn` are held and sent as one statement (db/together.py):
    before the driver's next statement on `conn`, before a write to a table already held, and when
    the block ends; the caller's reads therefore see its writes. A block that raises sends nothing
    (its transaction is rolled back). A statement through SQLAlchemy while writes are held is
    refused (`refuse_while_held`, on every engine): it would run before them. A block inside
    another is part of it."""
    if HELD in conn.info:
        yield
        return
    conn.info[HELD] = _Held()
    try:
        yield
        await send_held(conn)
    finally:
        conn.info.pop(HELD, None)


async def send_held(conn: AsyncConnection) -> None:
    """Send the writes `conn` holds, if any, as one statement."""
    held: _Held | None = conn.info.get(HELD)
    if held is None or not held.writes:
        return
    sql, params = together.combine(held.writes)
    held.writes, held.tables, held.names = [], frozenset(), frozenset()
    positional_sql, names = positional(sql)
    async with _driver_of(conn) as raw:
        await raw.execute(positional_sql, *(params[n] for n in names))


def refuse_while_held(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
                      ) -> None:
    """SQLAlchemy `before_cursor_execute` listener (db/engine.py): no statement overtakes held writes."""
    held = conn.info.get(HELD)
    if held is not None and held.writes:
        raise RuntimeError(f"a statement through SQLAlchemy while driver writes are held: {statement[:80]}")


@contextlib.asynccontextmanager
async def _driver_of(conn: AsyncConnection) -> AsyncIterator[asyncpg.Connection]:
    """The asyncpg connection under `conn`, its transaction begun when `conn` is in one.

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, with the first statement it executes itself, so
    a statement sent past it at the start of a transaction would run before BEGIN, outside the
    transaction. Here the adapter's own `_start_transaction` (the BEGIN with the engine's isolation
    level) runs first when it has not yet, under the adapter's execution lock, as its own statements
    do; commit and rollback stay SQLAlchemy's. The checked-out connection is reached without
    `get_raw_connection`'s greenlet hop: a connection in use holds its pooled driver connection.
    tests/test_db_driver.py holds both orders (a driver statement first, then SQLAlchemy's, and the
    reverse) to the rollback of their transaction, so an adapter that changed would fail there."""
    adapter = conn.sync_connection.connection.dbapi_connection
    async with adapter._execute_mutex:
        if conn.in_transaction() and adapter._transaction is None:
            await adapter._start_transaction()
        yield adapter._connection
