"""The hub ↔ T&D contract is published as its own OpenAPI document (api.md "Hub ↔ T&D contract"):
the reference area serves it at /area/v1/openapi.json (to the hub's certificate), `switchhub contract
openapi` prints it, it lists every /area/v1 route with request and answer models of
`switchhub.contract`, and a schemathesis smoke pass runs against the reference area over it."""

from __future__ import annotations

import inspect
import json
import ssl

import httpx
import pytest
import schemathesis
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

import switchhub.contract.applications
import switchhub.contract.events
import switchhub.contract.points
import switchhub.contract.readings
import switchhub.contract.usage
from tests.live import ca_file
from tests.support import with_client_cert

#: api.md: the acting operator is named in headers the T&D accepts only from the hub's certificate
ACTING = {"X-Switchhub-Operator": True, "X-Switchhub-Operator-Kind": True, "X-Switchhub-Operator-Areas": False,
          "X-Switchhub-User": False, "X-Switchhub-Role": False}


#: answers that are files, not JSON: the export (gzip) and a usage request's identity documents
BINARY = {"application/gzip", "application/pdf", "image/jpeg", "image/png", "image/gif"}


def _contract_models() -> set[str]:
    modules = (switchhub.contract.points, switchhub.contract.applications, switchhub.contract.events,
               switchhub.contract.readings, switchhub.contract.usage)
    return {name for m in modules for name, obj in vars(m).items()
            if inspect.isclass(obj) and obj.__module__ == m.__name__}


def _all_routes(routes) -> list:
    """Every route of the app, inside included routers too (FastAPI wraps those)."""
    out = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        out += _all_routes(inner.routes) if inner is not None else [route]
    return out


def _ref(schema: dict) -> str:
    return schema.get("$ref", "").rsplit("/", 1)[-1]


async def _document(stack) -> httpx.Response:
    transport = httpx.ASGITransport(app=with_client_cert(stack.area_app, stack.world.hub_client.pem))
    async with httpx.AsyncClient(transport=transport, base_url="https://area.test") as c:
        return await c.get("/area/v1/openapi.json")


async def test_the_document_lists_every_area_route_with_contract_models(stack):
    r = await _document(stack)
    assert r.status_code == 200, r.text
    spec = r.json()
    assert spec["openapi"] == "3.1.0"
    routes = [(m.lower(), route.path) for route in _all_routes(stack.area_app.routes) if isinstance(route, APIRoute)
              and route.path.startswith("/area/v1/") and route.path != "/area/v1/openapi.json" for m in route.methods]
    assert len(routes) >= 10
    documented = {(m, p) for p, item in spec["paths"].items() for m in item}
    assert set(routes) == documented
    contract = _contract_models()
    wrong = []
    for method, path in routes:
        op = spec["paths"][path][method]
        ok = [c for code, a in op["responses"].items() if code.startswith("2") for c in a.get("content", {}).values()]
        json_answers = [c for c in ok if "$ref" in c.get("schema", {})]
        if not ok or (json_answers and not all(_ref(c["schema"]) in contract for c in json_answers)):
            wrong.append(f"{method} {path}: answer {ok}")
        if not json_answers and not BINARY & {k for code, a in op["responses"].items()
                                                if code.startswith("2") for k in a.get("content", {})}:
            wrong.append(f"{method} {path}: no answer schema")
        if method == "post" and _ref(op.get("requestBody", {}).get("content", {}).get("application/json", {})
                                     .get("schema", {})) not in contract:
            wrong.append(f"{method} {path}: request body")
        headers = {p["name"]: p["required"] for p in op["parameters"] if p["in"] == "header"}
        if any(headers.get(name) is not required for name, required in ACTING.items()):
            wrong.append(f"{method} {path}: acting headers {headers}")
        if op["responses"]["422"]["content"].get("application/problem+json", {}).get("schema") != {
                "$ref": "#/components/schemas/Problem"}:
            wrong.append(f"{method} {path}: problem answers")
    assert wrong == []
    # the events the area sends to the hub are part of the contract too
    assert _ref(spec["webhooks"]["areaEvents"]["post"]["requestBody"]["content"]["application/json"]["schema"]) \
        == "AreaEventBatch"


async def test_only_the_hub_reads_the_document(stack):
    transport = httpx.ASGITransport(app=with_client_cert(stack.area_app, stack.world.clients["M0300-api"].pem))
    async with httpx.AsyncClient(transport=transport, base_url="https://area.test") as c:
        r = await c.get("/area/v1/openapi.json")
    assert r.status_code == 403 and r.json()["code"] == "hub_certificate_required"


async def test_the_cli_prints_the_same_document(stack):
    from typer.testing import CliRunner

    from switchhub import cli

    result = CliRunner().invoke(cli.app, ["contract", "openapi", "--server", "https://area.example.jp"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed.pop("servers") == [{"url": "https://area.example.jp"}]
    assert printed == (await _document(stack)).json()


@pytest.fixture(scope="module")
def area_schema(live):
    ident = live.world.hub_client
    ctx = ssl.create_default_context(cafile=str(ca_file(live.world)))
    ctx.load_cert_chain(str(ident.cert), str(ident.key))
    with httpx.Client(verify=ctx) as c:
        spec = c.get(f"{live.area_base}/area/v1/openapi.json").json()
    return schemathesis.openapi.from_dict(spec, config=SchemathesisConfig.from_dict({"checks": {
        # a smoke pass: no server errors, answers and their content types as documented
        "enabled": False, "not_a_server_error": {"enabled": True}, "response_schema_conformance": {"enabled": True},
        "content_type_conformance": {"enabled": True}}}))


area = schemathesis.pytest.from_fixture("area_schema")


@area.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_smoke_pass_against_the_reference_area(case, live):
    ident = live.world.hub_client
    transport = {"base_url": live.area_base, "cert": (str(ident.cert), str(ident.key)),
                 "verify": str(ca_file(live.world)), "timeout": 30}
    response = case.call(**transport)
    case.validate_response(response, transport_kwargs=transport)


async def test_a_feed_position_beyond_bigint_is_a_field_error(stack):
    """Found by the smoke pass: `after` past the bigint sequence answered 500; it is a 422 naming it."""
    import httpx

    from tests.support import with_client_cert

    transport = httpx.ASGITransport(app=with_client_cert(stack.area_app, stack.world.hub_client.pem))
    headers = {"X-Switchhub-Operator": "A0001", "X-Switchhub-Operator-Kind": "retailer",
               "X-Switchhub-Operator-Areas": "03", "X-Switchhub-User": "a0001-api"}
    async with httpx.AsyncClient(transport=transport, base_url="https://area.test", headers=headers) as c:
        r = await c.get("/area/v1/applications", params={"area": "03", "after": str(2**63)})
        ok = await c.get("/area/v1/applications", params={"area": "03", "after": str(2**63 - 1)})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "after"
    assert ok.status_code == 200 and ok.json()["items"] == []
