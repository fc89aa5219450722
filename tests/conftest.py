"""Session-wide test world (templates, certificates) and a fresh hub+area stack per test."""

from __future__ import annotations

import gc
import os

import pytest

from tests.support import World, build_stack, build_world, close_stack, drop_database


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    w = build_world(tmp_path_factory.mktemp("world"))
    yield w
    assert w.copies
    w.copies.close()
    drop_database(w.admin, w.hub_template)
    drop_database(w.admin, w.area_template)


@pytest.fixture
async def stack(world: World):
    s = build_stack(world)
    yield s
    await close_stack(s)


@pytest.fixture(scope="session")
def live(world: World):
    """Hub and area served over real TLS for the whole session (read-mostly tests)."""
    from tests.live import start_live, stop_live

    stack = start_live(world, tag="session")
    yield stack
    stop_live(stack)


@pytest.fixture(autouse=True)
def _collect_garbage_after_each_test():
    """Leaked sockets and connections warn when collected; collecting here blames the test that
    leaked them (ResourceWarnings are errors: pyproject.toml) instead of a later one."""
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def _process_clock_and_operation_mode_restored():
    """Building an app in sandbox mode sets process-wide state (sandbox/wiring.py: the movable clock,
    metering files as test data) — right for a sandbox process, wrong for the next test this worker
    runs: both are put back after every test."""
    from switchhub.kernel.clock import get_clock, set_clock

    clock, mode = get_clock(), os.environ.get("SWITCHHUB_METERING_OPERATION_MODE")
    yield
    set_clock(clock)
    if mode is None:
        os.environ.pop("SWITCHHUB_METERING_OPERATION_MODE", None)
    else:
        os.environ["SWITCHHUB_METERING_OPERATION_MODE"] = mode
