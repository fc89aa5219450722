"""The own-point export's COPY as a gzip stream: one COPY, or, for a large export, ranges of spids
copied on two backends that share one snapshot.

Why two: the database producing the rows (joins and the text of every column) was most of a large
export's time, on one backend (docs/benchmarks.md P4: 5.5 s of 5.9 per million points), while the
other core waited. The rows are split into ranges of PART_ROWS consecutive spids; two connections
copy alternate ranges, each range compressed as its own gzip member, and the answer is the members
in range order (a gzip stream may be a sequence of members; the hub's export is one per area already).

One snapshot: the first connection's transaction (REPEATABLE READ) exports its snapshot and the
second imports it (`SET TRANSACTION SNAPSHOT`), so a point that changes supplier meanwhile is in
exactly the parts that the same single COPY would have put it in. Memory stays flat: a range is
copied only when the range two before it has been sent, so at most two ranges wait (≈ 3–6 MB).
"""

from __future__ import annotations

import asyncio
import re
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from switchhub.area.points.repository import export_part_bounds

PART_ROWS = 65_536  # rows per range: below two ranges the export is one COPY
_SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$")
_DONE = object()


def _copy_options(fmt: str, header: bool) -> dict[str, Any]:
    if fmt == "csv":
        return {"format": "csv", "header": header}
    return {"format": "csv", "quote": "\x01", "delimiter": "\x02"}  # one JSON text a line, unquoted


async def _copy_member(raw: Any, query: str, args: tuple, fmt: str, header: bool, level: int,
                       put: Callable[[bytes], Awaitable[None]]) -> None:
    """COPY `query` into one gzip member, handed to `put` chunk by chunk."""
    gz = zlib.compressobj(level, zlib.DEFLATED, 31)

    async def sink(chunk: bytes) -> None:
        data = gz.compress(bytes(chunk))
        if data:
            await put(data)

    await raw.copy_from_query(query, *args, output=sink, **_copy_options(fmt, header))
    await put(gz.flush())


async def stream_one(engine: Any, query: str, args: tuple, fmt: str, header: bool, level: int
                     ) -> AsyncIterator[bytes]:
    """One COPY to the client as gzip, chunk by chunk; the queue bounds memory."""
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=16)

    async def run() -> None:
        try:
            async with engine.connect() as conn:
                raw = (await conn.get_raw_connection()).driver_connection
                await _copy_member(raw, query, args, fmt, header, level, queue.put)
        finally:
            await queue.put(_DONE)

    task = asyncio.create_task(run())
    try:
        while (item := await queue.get()) is not _DONE:
            yield item
        await task
    finally:
        task.cancel()


async def stream_parts(engine: Any, query: str, part_query: str, args: tuple, fmt: str, header: bool,
                       level: int) -> AsyncIterator[bytes]:
    """The export in spid ranges on two backends with one snapshot (module docstring). `part_query`
    is `query` limited to the spids in [$4, $5) ($5 NULL: no upper end); `args` bind $1–$3."""
    plan: asyncio.Future[tuple[str, list[tuple[str, str | None]]]] = asyncio.get_running_loop().create_future()
    queues: list[asyncio.Queue[Any]] = []
    sent: list[asyncio.Event] = []

    async def copy_ranges(raw: Any, mine: list[int], ranges: list[tuple[str, str | None]]) -> None:
        for i in mine:
            if i >= 2:
                await sent[i - 2].wait()  # at most two ranges waiting to be sent
            await _copy_member(raw, part_query, (*args, *ranges[i]), fmt, header and i == 0, level, queues[i].put)
            await queues[i].put(_DONE)

    async def first() -> None:
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            async with raw.transaction(isolation="repeatable_read", readonly=True):
                snapshot = await raw.fetchval("SELECT pg_export_snapshot()")
                ranges = await export_part_bounds(raw, args, PART_ROWS)
                for _ in ranges:
                    queues.append(asyncio.Queue())
                    sent.append(asyncio.Event())
                plan.set_result((snapshot, ranges))
                await copy_ranges(raw, list(range(0, len(ranges), 2)), ranges)

    async def second() -> None:
        snapshot, ranges = await asyncio.shield(plan)
        if len(ranges) < 2:
            return
        if not _SNAPSHOT_ID.match(snapshot):  # it is put in the statement's text (SET takes no parameter)
            raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            async with raw.transaction(isolation="repeatable_read", readonly=True):
                await raw.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                await copy_ranges(raw, list(range(1, len(ranges), 2)), ranges)

    async def guarded(worker: Callable[[], Awaitable[None]]) -> None:
        try:
            await worker()
        except BaseException as exc:  # the reader must not wait for ranges that will not come
            if not plan.done():
                plan.set_exception(exc)
            for q in queues:
                q.put_nowait(exc)
            raise

    tasks = [asyncio.create_task(guarded(first)), asyncio.create_task(guarded(second))]
    try:
        _, ranges = await plan
        for i in range(len(ranges)):
            while (item := await queues[i].get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                yield item
            sent[i].set()
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
