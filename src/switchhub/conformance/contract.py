"""The published contract document as the judge of answers: each operation's answer schema by status
and content type, its `x-refusal-codes`, and the deadline. Built from this repository's contract
package (`build_area_openapi`), the same document `switchhub contract openapi` publishes."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jsonschema_rs

PROBLEM = "application/problem+json"


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    from switchhub.area.app import contract_routers
    from switchhub.area.openapi import build_area_openapi

    return build_area_openapi(contract_routers())


@lru_cache(maxsize=256)
def _validator(ref: str) -> Any:
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": ref,
        "components": document()["components"],
    }
    return jsonschema_rs.validator_for(root, validate_formats=True)


def operation(method: str, path: str) -> dict[str, Any]:
    return document()["paths"][path][method.lower()]


def schema_errors(method: str, path: str, status: int, content_type: str, body: Any) -> list[str]:
    """Why `body` is not the contract's answer for this operation and status ([] when it is)."""
    op = operation(method, path)
    answer = op["responses"].get(str(status))
    if answer is None:
        return [f"status {status} is not a documented answer"]
    media = content_type.split(";")[0].strip()
    content = answer.get("content", {})
    if media not in content:
        return [
            f"content type {media or '-'} is not documented for {status} ({', '.join(content) or 'none'})"
        ]
    ref = content[media].get("schema", {}).get("$ref")
    if ref is None:
        return []
    errors = []
    for error in _validator(ref).iter_errors(body):
        where = "/".join(str(p) for p in error.instance_path) or "(root)"
        errors.append(f"{where}: {error.message[:160]}")
        if len(errors) >= 3:
            break
    return errors


def refusal_codes(method: str, path: str) -> dict[str, list[str]]:
    return operation(method, path).get("x-refusal-codes", {})


def deadline_seconds() -> float:
    return float(document().get("x-deadline-seconds", 5.0))


def event_errors(event: Any) -> list[str]:
    """Why `event` is not an `AreaEvent` of the contract (its payload checked against its kind)."""
    return [
        f"{'/'.join(str(p) for p in e.instance_path) or '(root)'}: {e.message[:160]}"
        for e in list(_validator("#/components/schemas/AreaEvent").iter_errors(event))[:3]
    ]
