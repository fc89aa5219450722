"""The sandbox's movable clock: the real (or the test's) time plus an offset stored in the database.

Everything reads the time through `kernel.clock.get_clock()`; in sandbox mode that is a
`SandboxClock` whose offset is refreshed from the process's own database (table `sandbox_clock`,
hub migration 0014 / area migration 0012) at the start of every request (`ClockRefresh`) and every
worker round (`refresh`), so the hub, the area system and the workers of one tenant agree on the
time without sharing memory. Only the hub's `POST /api/v1/sandbox/clock` moves it: it writes the
hub's row and tells each area, which writes its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send

from switchhub.kernel.clock import JST, Clock, get_clock, set_clock
from switchhub.sandbox import repository as repo


class SandboxClock:
    """`base` moved by `offset_seconds` (never negative: the sandbox only moves forwards)."""

    def __init__(self, base: Clock, offset_seconds: int = 0) -> None:
        self.base = base
        self.offset_seconds = offset_seconds

    def now(self) -> datetime:
        return (self.base.now() + timedelta(seconds=self.offset_seconds)).astimezone(JST)

    def today(self):  # type: ignore[no-untyped-def]
        return self.now().date()


def install() -> SandboxClock:
    """Make the process clock a SandboxClock (once; the clock it replaces becomes its base)."""
    clock = get_clock()
    if isinstance(clock, SandboxClock):
        return clock
    sandbox = SandboxClock(clock)
    set_clock(sandbox)
    return sandbox


async def refresh(engine: AsyncEngine) -> None:
    """Take this process's offset from its database (a no-op outside sandbox mode: no SandboxClock)."""
    clock = get_clock()
    if isinstance(clock, SandboxClock):
        async with engine.connect() as conn:
            clock.offset_seconds = await repo.read_offset(conn)


class ClockRefresh:
    """ASGI middleware (sandbox mode only): every request sees the tenant's current time."""

    def __init__(self, app: ASGIApp, engine: AsyncEngine) -> None:
        self.app, self.engine = app, engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await refresh(self.engine)
        await self.app(scope, receive, send)
