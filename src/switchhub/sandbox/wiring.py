"""Where sandbox mode plugs into the hub app, the area app and the worker (one place, so that a
production process never gets any of it: every function here is a no-op outside sandbox mode)."""

from __future__ import annotations

import os
from typing import Any

from switchhub.config import Settings

#: the metering files' operation mode variable (area/metering/tasks.py); sandbox data is test data
OPERATION_MODE_ENV = "SWITCHHUB_METERING_OPERATION_MODE"


def configure_process(settings: Settings) -> None:
    """Sandbox mode: the movable clock, and metering files written as test data (operation mode 1)."""
    if settings.sandbox:
        from switchhub.sandbox.clock import install

        install()
        os.environ[OPERATION_MODE_ENV] = "1"


def hub_routers(settings: Settings) -> tuple[Any, ...]:
    if not settings.sandbox:
        return ()
    from switchhub.sandbox.endpoints import router

    return (router,)


def wrap_hub(app: Any, settings: Settings, engine: Any) -> None:
    """Middleware of a sandbox hub: the clock refreshed per request (inside), the marker (outside)."""
    if not settings.sandbox:
        return
    from switchhub.sandbox.clock import ClockRefresh
    from switchhub.sandbox.markers import SandboxMarker

    app.add_middleware(ClockRefresh, engine=engine)
    app.add_middleware(SandboxMarker)


def area_routers(settings: Settings) -> tuple[Any, ...]:
    if not settings.sandbox:
        return ()
    from switchhub.sandbox.area_endpoints import router

    return (router,)


def wrap_area_inner(app: Any, settings: Settings, engine: Any) -> None:
    """Added first (innermost): the scenario layer sees the calls after the hub-only gate and the
    body limit; the clock is refreshed before the scenario decides (a stalled call sees the time)."""
    if settings.scenario_stubs:
        from switchhub.sandbox.stub import ScenarioLayer

        app.add_middleware(ScenarioLayer, area_timeout_s=settings.area_timeout_s)
    if settings.sandbox:
        from switchhub.sandbox.clock import ClockRefresh

        app.add_middleware(ClockRefresh, engine=engine)


async def refresh_clock(engine: Any, settings: Settings) -> None:
    """The worker's round starts from the tenant's time in that side's database."""
    if settings.sandbox and engine is not None:
        from switchhub.sandbox.clock import refresh

        await refresh(engine)
