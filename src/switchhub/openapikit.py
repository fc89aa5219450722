"""OpenAPI pieces shared by the hub's API document and the area contract document: the problem+json
answer (RFC 9457, api.md) and the request bodies of routes that parse with `httpkit.json_body`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi.routing import APIRoute

PROBLEM = "application/problem+json"
PROBLEM_SCHEMAS: dict[str, Any] = {
    "FieldIssue": {"type": "object", "required": ["field", "code", "message"], "properties": {
        "field": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}}},
    "Problem": {"type": "object", "required": ["type", "status", "title", "detail", "code"],
                "additionalProperties": True, "description": "RFC 9457 problem details with a stable `code`",
                "properties": {
                    "type": {"type": "string"}, "status": {"type": "integer"}, "title": {"type": "string"},
                    "detail": {"type": "string"}, "code": {"type": "string"}, "request_id": {"type": "string"},
                    "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldIssue"}}}},
}


def problem_answers(errors: dict[str, str], headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """status → a problem+json answer with the given description (and headers)."""
    return {code: {"description": text, **({"headers": headers} if headers else {}),
                   "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            for code, text in errors.items()}


def body_models(routes: Iterable[APIRoute]) -> dict[tuple[str, str], type]:
    """(path, method) → the model a route parses with `json_body`."""
    out: dict[tuple[str, str], type] = {}
    for route in routes:
        for dep in route.dependant.dependencies:
            model = getattr(dep.call, "body_model", None)
            if model is not None:
                out.update({(route.path, m.lower()): model for m in route.methods})
    return out


def add_request_bodies(schema: dict[str, Any], routes: Iterable[APIRoute]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for (path, method), model in body_models(routes).items():
        operation = schema["paths"].get(path, {}).get(method)
        if operation is None:
            continue
        body = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(body.pop("$defs", {}))
        components[model.__name__] = body
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}
