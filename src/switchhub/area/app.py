"""The reference T&D area system: serves any subset of the 10 areas at /area/v1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from switchhub.area.applications.endpoints import router as applications_router
from switchhub.area.curtailment.endpoints import router as curtailment_router
from switchhub.area.identity import HubOnlyMiddleware
from switchhub.area.metering.endpoints import router as metering_router
from switchhub.area.openapi import build_area_openapi
from switchhub.area.points.endpoints import router as points_router
from switchhub.area.readings.endpoints import router as readings_router
from switchhub.area.usage.endpoints import router as usage_router
from switchhub.config import Settings
from switchhub.db.engine import lookup_reader, search_reader
from switchhub.db.rawpool import RawPool
from switchhub.httpkit import BodyLimit, RejectNulBytes, install_error_handlers
from switchhub.telemetry import RequestTelemetry


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Close the pools on the serving loop when the server stops (no connection outlives its loop)."""
    yield
    await dispose_pools(app.state)


async def dispose_pools(state: Any) -> None:
    """Every pool of the area app closed (at shutdown, and before the sandbox drops its database)."""
    await state.lookup_pool.close()
    for engine in (state.reader, state.days_reader, state.search_reader, state.writer, state.engine):
        await engine.dispose()


def contract_routers() -> tuple[APIRouter, ...]:
    """The routers of `/area/v1`: the hub ↔ T&D contract (its OpenAPI document is built from them)."""
    return (points_router, applications_router, readings_router, curtailment_router, usage_router, metering_router)


def create_area_app(settings: Settings, engine: AsyncEngine) -> FastAPI:
    from switchhub.sandbox import wiring as sandbox

    sandbox.configure_process(settings)
    app = FastAPI(title="switchhub area system", version="1", openapi_url="/area/v1/openapi.json", docs_url=None,
                  redoc_url=None, lifespan=_lifespan)
    app.state.settings = settings
    app.state.engine = engine
    # lookups and batches: the hot path keeps its connections (Settings.db_pool_size, no overflow)
    app.state.reader = lookup_reader(engine, pool_size=settings.db_pool_size, max_overflow=0)
    # the facility lookups' connections straight from asyncpg (db/rawpool.py), generic plans as `reader`
    app.state.lookup_pool = RawPool(engine.url, max_size=settings.db_pool_size, name="switchhub-lookup",
                                    plan_cache_mode="force_generic_plan")
    # the second connection of a usage batch (its days read on two backends at once): a pool of its own,
    # so that a batch holding a `reader` connection never waits for another one from the same pool
    app.state.days_reader = lookup_reader(engine, pool_size=max(2, settings.db_pool_size // 4), max_overflow=0)
    app.state.search_reader = search_reader(engine)  # custom plans: prefixes as index ranges
    app.state.writer = lookup_reader(engine, autocommit=False)  # applications: equality lookups only
    install_error_handlers(app)
    app.state.contract_routers = contract_routers()
    for router in app.state.contract_routers:
        app.include_router(router)
    for router in sandbox.area_routers(settings):  # sandbox mode only, outside the contract document
        app.include_router(router)

    def openapi() -> dict[str, Any]:
        """The contract document (`/area/v1/openapi.json`, behind the hub-only gate like every route)."""
        if not app.openapi_schema:
            app.openapi_schema = build_area_openapi(app.state.contract_routers)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict:
        return {"status": "ok", "areas": list(settings.served_areas)}

    sandbox.wrap_area_inner(app, settings, engine)  # the scenario stubs (area_backend=sandbox), the clock
    # a bulk file's rows of one area (≤ 10,000 filings as JSON); ≤ 100,000 reading rows
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                       larger={"/area/v1/applications:bulk": max(40_000_000, settings.max_body_bytes),
                               "/area/v1/readings:ingest": max(20_000_000, settings.max_body_bytes),
                               "/area/v1/readings:ingest-monthly": max(20_000_000, settings.max_body_bytes),
                               # ≤ 5 identity documents of ≤ 1 MB each, as base64
                               "/area/v1/usage-passwords": max(8_000_000, settings.max_body_bytes)})
    app.add_middleware(HubOnlyMiddleware, settings=settings)
    app.add_middleware(RejectNulBytes)
    # outermost: every answer, the hub-only gate's refusals included, is logged and counted (telemetry.py)
    app.add_middleware(RequestTelemetry, service="area", router=app.router, settings=settings)
    return app
