"""The published OpenAPI 3.1 document of `/api/v1`.

FastAPI documents each operation's success answer; this adds what every operation can also
answer — the problem+json errors of api.md with their status codes — so that a client (and
the schemathesis run with all checks) finds every status and content type it will meet.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from switchhub.openapikit import PROBLEM_SCHEMAS, add_request_bodies, problem_answers

ERRORS = {
    "400": "リクエストの形式が正しくありません (bad request)",
    "401": "APIクレデンシャルがない・正しくない (credential missing or invalid)",
    "403": "証明書・クレデンシャル・権限により拒否 (refused: certificate, credential or permission)",
    "404": "該当なし、または自社のものではない (not found or not yours: the same answer)",
    "409": "現在の状態ではできない操作 (business conflict: state checks)",
    "413": "リクエストが大きすぎる (request too large)",
    "422": "入力内容の誤り、項目ごとのメッセージ付き (invalid input, per field)",
    "429": "レート制限 (rate limit; see Retry-After)",
    "503": "一般送配電事業者のシステムに接続できない (area system unavailable)",
    "504": "一般送配電事業者のシステムが応答しない (area system timeout)",
}
RATE_HEADERS = {name: {"description": text, "schema": {"type": "integer"}} for name, text in (
    ("RateLimit-Limit", "bucket size"), ("RateLimit-Remaining", "requests left now"),
    ("RateLimit-Reset", "seconds until the bucket is full again"))}


def _error_responses() -> dict[str, Any]:
    return problem_answers(ERRORS, RATE_HEADERS)


def _api_routes(app: FastAPI) -> list[APIRoute]:
    return [r for router in app.state.api_routers for r in router.routes
            if isinstance(r, APIRoute) and r.include_in_schema]


def _name_operations(schema: dict[str, Any], app: FastAPI) -> None:
    """operationId = the route function's name (`get_relay`, `decide` …), prefixed with its tag where
    two share a name (`relays_withdraw`, `applications_withdraw`): a generated client's methods."""
    routes = _api_routes(app)
    counts: dict[str, int] = {}
    for route in routes:
        counts[route.name] = counts.get(route.name, 0) + 1
    for route in routes:
        name = route.name if counts[route.name] == 1 else f"{route.tags[0]}_{route.name}".replace("-", "_")
        for method in route.methods:
            operation = schema["paths"].get(route.path, {}).get(method.lower())
            if operation is not None:
                operation["operationId"] = name


def _errors_table() -> str:
    """The error statuses of ERRORS as a Markdown table in the API's description (the documentation
    page renders it), so the list is written once."""
    rows = "".join(f"| {status} | {text.replace('|', chr(92) + '|')} |\n" for status, text in ERRORS.items())
    return ("\n\n# エラー (errors)\n\n`application/problem+json`; 429 には `Retry-After`。\n\n"
            "| status | 意味 (meaning) |\n|---|---|\n" + rows)


def build_openapi(app: FastAPI, server_url: str) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=app.description + _errors_table(),
                         routes=app.routes)
    schema["paths"] = {p: v for p, v in schema["paths"].items() if p.startswith("/api/v1/")}
    schema["openapi"] = "3.1.0"
    schema["servers"] = [{"url": server_url}]
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {}).update(PROBLEM_SCHEMAS)
    for name in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(name, None)
    add_request_bodies(schema, _api_routes(app))
    _name_operations(schema, app)
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "shk_… API credential"},
        "mutualTLS": {"type": "mutualTLS", "description": "registered API client certificate"},
    }
    schema["security"] = [{"bearer": [], "mutualTLS": []}]
    for item in schema["paths"].values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for answer in responses.values():
                answer.setdefault("headers", {}).update(RATE_HEADERS)
            responses.update(_error_responses())
    return schema
