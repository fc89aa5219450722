"""Where the sequences of a build are packaged: in worker processes when the machine has cores to spare.

Packaging a sequence (XML, deflate, JSON, gzip, hashes: about 0.7 s of CPU for 10,000 past-day points or
1,000 monthly points) is CPU work that holds the GIL for about half its time, so threads alone overlap
little of it. A small process pool (`spawn`: the worker's event loop, threads and database connections are
not forked) packages several sequences at once while the build reads the next rows; the rows and the
packaged bytes cross the process boundary pickled (a few MB a sequence, ~1 % of the work).

`SWITCHHUB_METERING_PROCESSES` sets the pool size; 0 packages in a thread of the calling process. The
default is the CPU count − 1 (one core for PostgreSQL and the event loop), at most 4.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

_pool: ProcessPoolExecutor | None = None


def processes() -> int:
    raw = os.environ.get("SWITCHHUB_METERING_PROCESSES")
    if raw is not None and raw.strip().isdigit():
        return min(int(raw), 16)
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def in_flight() -> int:
    """How many sequences a build keeps being packaged at once (one more than the pool keeps busy)."""
    return processes() + 1


def _executor() -> Executor | None:
    global _pool
    n = processes()
    if n == 0:
        return None
    if _pool is None:
        _pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"))
    return _pool


async def run(package: Callable[..., Any], *args: Any) -> Any:
    """`package(*args)` in the pool (or a thread); a pool whose process died is replaced for the next call."""
    global _pool
    executor = _executor()
    if executor is None:
        return await asyncio.to_thread(package, *args)
    try:
        return await asyncio.get_running_loop().run_in_executor(executor, package, *args)
    except BrokenProcessPool:
        _pool = None
        raise


def shutdown() -> None:
    """Stop the pool's processes (the worker's exit): without it they outlive a stopped worker."""
    global _pool
    pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
