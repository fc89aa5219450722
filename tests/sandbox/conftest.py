"""A sandbox stack: hub and area in sandbox mode on fresh database copies, with the scenario points
and the snapshots `switchhub sandbox` makes at creation, on a clock that starts at a fixed time."""

from __future__ import annotations

from datetime import datetime

import pytest

from switchhub.kernel.clock import JST, FixedClock, get_clock, set_clock
from tests.support import build_stack, close_stack

#: Tuesday 24 November 2026, 10:00 JST: Wed 25 is the next business day
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=JST)
TENANT = "t-test"


async def make_points_and_snapshots(stack) -> None:
    from switchhub.sandbox import snapshot
    from switchhub.sandbox.points import create_scenario_points

    async with stack.area_app.state.engine.begin() as conn:
        await create_scenario_points(conn)
    await stack.area_app.state.engine.dispose()
    for url in (stack.hub_url, stack.area_url):
        snapshot.take_snapshot(url)


@pytest.fixture
async def sandbox(world, monkeypatch):
    """Yields (stack, base clock): the base clock is the 'real' time under the sandbox offset."""
    from switchhub.sandbox import snapshot

    # sandbox mode sets the metering operation mode for the process: restored after the test
    monkeypatch.setenv("SWITCHHUB_METERING_OPERATION_MODE", "0")
    previous = get_clock()
    base = FixedClock(NOW)
    set_clock(base)
    stack = build_stack(world, settings_changes={"sandbox": True, "sandbox_tenant": TENANT})
    try:
        await make_points_and_snapshots(stack)
        yield stack, base
    finally:
        await close_stack(stack)
        for url in (stack.hub_url, stack.area_url):
            snapshot.drop_snapshot(url)
        set_clock(previous)
