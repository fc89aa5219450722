"""The hub ↔ T&D contract as its own OpenAPI 3.1 document (api.md "Hub ↔ T&D contract").

Built from the area's `/area/v1` routes, whose request and answer models all come from
`switchhub.contract`, with the problem+json answers every operation may give, the acting-operator
headers the hub sends, and the events the area sends to the hub (`webhooks`). A grid operator with
its own system implements this document; `switchhub contract openapi` prints it.
"""

from __future__ import annotations

from typing import Any

from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from switchhub.contract import headers
from switchhub.contract.events import PAYLOADS, AreaEventBatch, EventKind
from switchhub.contract.refusals import refusal_codes
from switchhub.kernel.visibility import FIELD_CLASSES, lookup_fields_by_relationship
from switchhub.openapikit import PROBLEM_SCHEMAS, add_request_bodies, problem_answers

TITLE = "switchhub area contract (一般送配電事業者システム連携 /area/v1)"
VERSION = "1.0.0"
DESCRIPTION = """The interface every T&D system (一般送配電事業者システム) offers the hub of switchhub.

* Only the hub calls it, over mutual TLS with the hub's client certificate; anyone else is refused (403).
* The hub names the acting operator and user in the `X-Switchhub-*` headers; the T&D system applies
  the visibility rules of domain.md itself for that operator (the hub checks every answer again).
  `X-Switchhub-Breakglass` names the approved, unexpired break-glass grants of that user (seed 004
  type B): a facility lookup of a point in a named area also shows the named field classes.
* Errors are `application/problem+json` (RFC 9457) with a stable `code` and Japanese messages.
* Stage changes, matching and completions go to the hub as events (`webhooks` → `areaEvents`):
  `POST /internal/v1/area-events` on the hub with the area's certificate, at least once, each with an ID
  (the hub drops duplicates by ID). The same changes are readable from the feed `GET /area/v1/applications`
  (per acting operator, strictly increasing `seq`, `after` is the cursor; the same cursor gives the same
  changes again).
* Each operation lists the `code` of every refusal it may answer by status in `x-refusal-codes`.
* `x-visibility` (top level) names the fields a facility lookup answers per relationship of the acting
  operator to the point (`relationship` in the answer); searches answer the `other_retailer` fields
  (meter numbers masked unless searched by meter number) and the export the `current_supplier` fields.
* A hub waits `x-deadline-seconds` for an answer (the reference hub's default area timeout) and answers
  its caller 504 after that.
"""
#: the reference hub's default wait for an area's answer (config.py `area_timeout_s`)
DEADLINE_SECONDS = 5.0
ERRORS = {
    "400": "操作する事業者が指定されていない・リクエストの形式が正しくない (acting operator missing, bad request)",
    "403": "ハブの証明書以外からの要求・権限のない操作 (not the hub's certificate, or not allowed)",
    "404": "該当なし、または照会者のものではない・担当エリア外 (not found, not the caller's, or not served)",
    "409": "現在の状態ではできない操作 (business conflict: state checks)",
    "413": "リクエストが大きすぎる (request too large)",
    "422": "入力内容の誤り、項目ごとのメッセージ付き (invalid input, per field)",
}
CODE = r"^[A-Z0-9]{5}$"
AREA_LIST = r"^((0[1-9]|10)(,(0[1-9]|10))*)?$"
ACTING_HEADERS: list[dict[str, Any]] = [
    {"name": headers.OPERATOR, "in": "header", "required": True, "description": "操作する事業者のコード",
     "schema": {"type": "string", "pattern": CODE}},
    {"name": headers.OPERATOR_KIND, "in": "header", "required": True, "description": "事業者の種別",
     "schema": {"type": "string", "enum": list(headers.KINDS)}},
    {"name": headers.OPERATOR_AREAS, "in": "header", "required": False,
     "description": "事業者のエリア（カンマ区切り）", "schema": {"type": "string", "pattern": AREA_LIST}},
    {"name": headers.USER, "in": "header", "required": False, "description": "操作する利用者のID",
     "schema": {"type": "string", "maxLength": 60, "pattern": r"^[A-Za-z0-9._@-]*$"}},
    {"name": headers.ROLE, "in": "header", "required": False, "description": "利用者の役割",
     "schema": {"type": "string", "enum": ["admin", "general", "helpdesk", "api"]}},
    {"name": headers.BREAKGLASS, "in": "header", "required": False,
     "description": "利用者に現在有効な緊急時アクセス許可（ハブが解決したもの）: `<許可番号>:<項目区分>+…:<エリア>+…` を"
                    "カンマ区切り。設備情報照会で、そのエリアの地点にその項目区分を追加で開示する (seed 004 type B)",
     "schema": {"type": "string", "pattern": headers.BREAKGLASS_PATTERN, "maxLength": 2000}},
]


def contract_routes(routers: Any) -> list[APIRoute]:
    return [r for router in routers for r in router.routes
            if isinstance(r, APIRoute) and r.include_in_schema and r.path.startswith("/area/v1/")]


def build_area_openapi(routers: Any, server_url: str | None = None) -> dict[str, Any]:
    routes = contract_routes(routers)
    schema = get_openapi(title=TITLE, version=VERSION, description=DESCRIPTION, routes=routes)
    schema["openapi"] = "3.1.0"
    if server_url:
        schema["servers"] = [{"url": server_url}]
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    components.update(PROBLEM_SCHEMAS)
    add_request_bodies(schema, routes)
    events = AreaEventBatch.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(events.pop("$defs", {}))
    components["AreaEventBatch"] = events
    add_event_payloads(components)
    schema["webhooks"] = {"areaEvents": {"post": {
        "summary": "エリアからハブへのイベント (POST /internal/v1/area-events on the hub)",
        "description": "At least once, from a transactional outbox; each event has an `id` the hub uses to "
                       "drop duplicates. Kinds: " + ", ".join(f"`{k.value}`" for k in EventKind) + ".",
        "operationId": "area_events",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/AreaEventBatch"}}}},
        "responses": {"200": {"description": "受け付けた（重複は無視）"}}}}}
    schema["components"]["securitySchemes"] = {
        "hubCertificate": {"type": "mutualTLS", "description": "the hub's client certificate"}}
    schema["security"] = [{"hubCertificate": []}]
    schema["x-deadline-seconds"] = DEADLINE_SECONDS
    schema["x-visibility"] = visibility_document()
    for route in routes:
        for method in route.methods:
            operation = schema["paths"][route.path][method.lower()]
            operation["operationId"] = route.name
            declared = {p["name"] for p in operation.get("parameters", [])}
            operation["parameters"] = [*operation.get("parameters", []),
                                       *(h for h in ACTING_HEADERS if h["name"] not in declared)]
            operation.setdefault("responses", {}).update(problem_answers(ERRORS))
            operation["x-refusal-codes"] = refusal_codes(method, route.path)
            for status, codes in operation["x-refusal-codes"].items():
                answer = operation["responses"].setdefault(status, problem_answers({status: ""})[status])
                answer["description"] = (answer["description"] + " — code: " + ", ".join(codes)).lstrip(" —")
    return schema


def add_event_payloads(components: dict[str, Any]) -> None:
    """Each event kind's payload schema, and `AreaEvent` typed by kind (`oneOf` on `kind` + `payload`),
    so an implementer sees exactly what each event carries (the hub validates the payload by kind)."""
    variants = []
    for kind, model in PAYLOADS.items():
        payload = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(payload.pop("$defs", {}))
        components[model.__name__] = payload
        variants.append({"properties": {"kind": {"const": kind.value},
                                        "payload": {"$ref": f"#/components/schemas/{model.__name__}"}}})
    components["AreaEvent"] = {**components["AreaEvent"], "oneOf": variants}


def contract_document_text(server_url: str | None = None) -> str:
    """The published document as text (`switchhub contract openapi`, docs/area-contract.openapi.json):
    keys in build order, UTF-8 Japanese as is, a final newline, so the committed file diffs cleanly."""
    import json

    from switchhub.area.app import contract_routers

    return json.dumps(build_area_openapi(contract_routers(), server_url), ensure_ascii=False, indent=2) + "\n"


def visibility_document() -> dict[str, Any]:
    """The field classes of domain.md and the lookup fields per relationship, as kernel/visibility.py
    decides them (described here for implementers; the area applies the same rules itself)."""
    return {"field_classes": {f: c.value for f, c in FIELD_CLASSES.items()},
            "lookup_fields": {rel.value: fields for rel, fields in lookup_fields_by_relationship().items()},
            "search_fields": "other_retailer", "export_fields": "current_supplier",
            "notes": "tso_only fields leave an area only under a break-glass grant named in "
                     "X-Switchhub-Breakglass (facility lookup of a point in a named area)."}
