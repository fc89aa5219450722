"""Hot-path statements sent straight to the asyncpg driver of a pooled SQLAlchemy connection.

Why: on the facility lookup (targets.md P1) SQLAlchemy's execution layer (compiling the text
clause, building the execution context and the result) cost ≈ 15 % of the hub's and the area's CPU
per lookup, for statements whose text never changes. These few statements are written with the
same `:name` parameters as everywhere else; `fetch` turns them into asyncpg's `$n` once per text
and runs them on the connection the request already holds (same transaction, same pool, asyncpg's
own prepared-statement cache). The repositories still own the SQL; this only runs it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import asyncpg
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

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
    """The rows of `sql` (with `:name` parameters) as dicts, run by the driver of `conn` when `conn`
    autocommits (the request path's readers) or is a driver connection already (db/rawpool.py).
    Inside a SQLAlchemy transaction the statement goes through SQLAlchemy, which starts the driver's
    transaction lazily: a statement sent past it could run before BEGIN."""
    if not isinstance(conn, AsyncConnection):
        raw: Any = conn
    elif conn.in_transaction():
        return [dict(r._mapping) for r in await conn.execute(_clause(sql), dict(params))]
    else:
        raw = (await conn.get_raw_connection()).driver_connection
    positional_sql, names = positional(sql)
    return [dict(r) for r in await raw.fetch(positional_sql, *(params[n] for n in names))]  # type: ignore[union-attr]


async def execute(conn: AsyncConnection, sql: str, params: Mapping[str, Any]) -> None:
    """A statement without rows (an INSERT), with the same rule as `fetch`."""
    if conn.in_transaction():
        await conn.execute(_clause(sql), dict(params))
        return
    positional_sql, names = positional(sql)
    raw = (await conn.get_raw_connection()).driver_connection
    await raw.execute(positional_sql, *(params[n] for n in names))  # type: ignore[union-attr]


@functools.lru_cache(maxsize=256)
def _clause(sql: str) -> TextClause:
    return text(sql)
