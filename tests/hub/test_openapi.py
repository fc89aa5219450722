"""The published OpenAPI document and the route declarations."""

from __future__ import annotations

from fastapi.routing import APIRoute


async def test_openapi_31_with_interface_ids_on_every_operation(stack):
    async with stack.client("A0001") as c:
        r = await c.get("/api/v1/openapi.json")
        docs = await c.get("/api/v1/docs")
    spec = r.json()
    assert spec["openapi"] == "3.1.0"
    ops = [(p, m, op) for p, item in spec["paths"].items() for m, op in item.items()]
    assert len(ops) >= 7
    missing = [(p, m) for p, m, op in ops if not op.get("x-interface-ids")]
    assert missing == []
    assert docs.status_code == 200 and "IF_10110" in docs.text


def test_every_api_route_declares_a_permission(stack):
    undeclared = []
    routes = [r for router in stack.hub_app.state.api_routers for r in router.routes]
    assert len(routes) >= 7
    for route in routes:
        if isinstance(route, APIRoute) and route.path.startswith("/api/v1/") and route.include_in_schema:
            deps = [d.call for d in route.dependant.dependencies]
            if not any(getattr(d, "permission", None) for d in deps):
                undeclared.append(route.path)
    assert undeclared == []
