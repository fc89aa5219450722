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


SPID_PATTERN = "(0[1-9]|10)[0-9]{20}"  # domain.md: 22 digits, area code 01–10 first
#: code fields of domain.md / api.md that must be published as enums wherever an answer or input has them
CODE_FIELDS = {"area", "channel", "contract_form", "capacity_method", "supply_method", "disconnection_method",
               "contract_status", "meter_type", "service_menu", "status", "decision", "ng_reasons", "kind",
               "from_status", "to_status", "reason_code", "status_reason", "purpose", "type"}
#: not code lists: an HTTP status, the problem type URI, the audit log's free purpose text, and a relay's
#: reason, which on a failed match is the reason code of the application that failed it (an area's code),
#: and likewise an application's reason codes (an area's own rejection codes are not a closed list)
NOT_CODES = {"Problem.status", "Problem.type", "BatchFailure.status", "AuditRecord.purpose",
             "RelaySummary.status_reason", "Relay.status_reason", "RelayHistoryEntry.reason_code",
             "FeedUnavailableArea.status", "ApplicationAnswer.reason_code", "HistoryEntry.reason_code",
             "FeedItem.reason_code", "HubFeedItem.reason_code",
             # usage passwords: the stage reason (UsageReason or, after a rejection, UsageRejectReason: the area's
             # codes), the 30-minute slots' meter status digits, and the inquirer's free purpose text
             "UsagePasswordAnswer.reason_code", "UsageReviewDetail.reason_code", "UsageDay.status",
             "UsageInquiryRequest.purpose", "UsageBatchInquiryRequest.purpose"}


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _enum_values(spec: dict, schema: dict) -> list:
    """The values an (optional, nullable, array-of) enum property allows; [] when it is no enum."""
    schema = _resolve(spec, schema)
    if "items" in schema:
        return _enum_values(spec, schema["items"])
    if "enum" in schema:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    values = []
    for option in schema.get("anyOf", []):
        if _resolve(spec, option).get("type") == "null":
            continue
        found = _enum_values(spec, option)
        if not found:
            return []
        values += found
    return values


def _properties(spec: dict):
    for name, schema in spec["components"]["schemas"].items():
        for prop, sub in schema.get("properties", {}).items():
            yield name, prop, sub


def _hub_spec(stack) -> dict:
    return stack.hub_app.openapi()


#: actions whose URL says everything: revoke a credential, mark a notice read, send a webhook's test delivery
BODILESS_ACTIONS = (":revoke", ":read", ":test")


def test_every_operation_declares_its_answer_schema(stack):
    spec = _hub_spec(stack)
    missing = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            ok = {code: answer for code, answer in op["responses"].items() if code.startswith("2")}
            schemas = [c.get("schema") for a in ok.values() for c in a.get("content", {}).values()]
            if not ok or (ok.keys() != {"204"} and not all(s and s != {} and s.get("additionalProperties") is not True
                                                            for s in schemas)):
                missing.append(f"{method.upper()} {path}")
            if method in ("post", "patch", "put") and not path.endswith(BODILESS_ACTIONS) and "requestBody" not in op:
                missing.append(f"{method.upper()} {path}: no request body")
            assert op["responses"]["422"]["content"]["application/problem+json"]
    assert missing == []


def test_idempotency_key_is_declared_where_it_is_taken(stack):
    import inspect

    spec = _hub_spec(stack)
    wrong = []
    for route in (r for router in stack.hub_app.state.api_routers for r in router.routes):
        if not isinstance(route, APIRoute):
            continue
        module = inspect.getmodule(route.endpoint)
        # the route answers through idempotent() itself or through a helper of its module that does
        helpers = [name for name, f in vars(module).items() if inspect.isfunction(f)
                   and f.__module__ == module.__name__ and "idempotent(" in inspect.getsource(f)]
        source = inspect.getsource(route.endpoint)
        takes_key = "idempotent(" in source or any(f"{name}(" in source for name in helpers)
        for method in route.methods:
            op = spec["paths"][route.path][method.lower()]
            declared = [p for p in op.get("parameters", []) if p["in"] == "header" and p["name"] == "Idempotency-Key"]
            if takes_key != bool(declared):
                wrong.append(f"{method} {route.path}: takes {takes_key}, declared {bool(declared)}")
            elif declared:
                assert declared[0]["schema"]["type"] == "string" and declared[0]["schema"]["maxLength"] == 200
    assert wrong == []
    assert any(p["name"] == "Idempotency-Key" for p in spec["paths"]["/api/v1/relays"]["post"]["parameters"])


def test_every_spid_carries_the_spid_pattern(stack):
    spec = _hub_spec(stack)
    seen, wrong = 0, []
    for name, prop, sub in _properties(spec):
        if prop in ("spid", "spids", "not_found"):
            schema = _resolve(spec, sub)
            options = [schema.get("items", schema)] + [o.get("items", o) for o in schema.get("anyOf", [])]
            seen += 1
            if not any(SPID_PATTERN in o.get("pattern", "") for o in options):
                wrong.append(f"{name}.{prop}")
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for p in op.get("parameters", []):
                if p["name"] == "spid":
                    seen += 1
                    if SPID_PATTERN not in p["schema"].get("pattern", ""):
                        wrong.append(f"{method.upper()} {path} {p['in']} spid")
    assert wrong == [] and seen >= 8


def test_code_fields_are_enums_with_the_original_codes(stack):
    spec = _hub_spec(stack)
    plain = [f"{name}.{prop}" for name, prop, sub in _properties(spec) if prop in CODE_FIELDS
             and f"{name}.{prop}" not in NOT_CODES and not _enum_values(spec, sub)]
    assert plain == []
    schemas = spec["components"]["schemas"]
    # domain.md's code lists, written out here
    assert _enum_values(spec, schemas["RelaySummary"]["properties"]["status"]) == [f"0{i}" for i in range(1, 8)]
    assert _enum_values(spec, schemas["SupplyPoint"]["properties"]["contract_status"]) == ["1", "2", "3", "4"]
    assert _enum_values(spec, schemas["SupplyPoint"]["properties"]["channel"]) == ["low", "high", "low_fit"]
    assert _enum_values(spec, schemas["SupplyPoint"]["properties"]["area"]) == [f"{i:02d}" for i in range(1, 11)]
    assert _enum_values(spec, schemas["RelaySummary"]["properties"]["ng_reasons"]) == [str(i) for i in range(1, 10)]
