"""Every dependency of every hub and area route is a coroutine function or an async generator.

Why: FastAPI runs a plain function dependency on a worker thread, once per request. The hub's one
plain dependency (the Idempotency-Key header's declaration) sent each filing and decision through
the thread pool and back, four hops per request in the P3 profile (docs/benchmarks.md). Walked
here over the routes as the apps serve them, so a new plain dependency anywhere fails by name."""

from __future__ import annotations

import inspect

from fastapi.routing import APIRoute


def _routes(routes):
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router (FastAPI ≥ 0.160)
            yield from _routes(route.original_router.routes)
        elif hasattr(route, "routes"):
            yield from _routes(route.routes)


def _plain_dependencies(dependant, path: str):
    for sub in dependant.dependencies:
        call = sub.call
        target = call if inspect.isfunction(call) or inspect.ismethod(call) else getattr(call, "__call__", call)
        if not (inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)):
            yield f"{path}: {getattr(call, '__module__', '?')}.{getattr(call, '__qualname__', call)}"
        yield from _plain_dependencies(sub, path)


def test_no_route_dependency_runs_on_a_worker_thread(stack):
    checked = 0
    plain: list[str] = []
    for app in (stack.hub_app, stack.area_app):
        for route in _routes(app.routes):
            checked += 1
            plain += _plain_dependencies(route.dependant, f"{sorted(route.methods)} {route.path}")
    assert checked > 100  # the walk reached the routes (the hub serves over 200)
    assert plain == []
