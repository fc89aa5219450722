"""The client's types are the hub's: models.py is what codegen renders from the hub app's own OpenAPI
document (`app.openapi()`), and every row of the operation table names a path + method of that
document with the same request body schema and the same 2xx answer schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchhub.client import codegen
from switchhub.client.operations import OPERATIONS

MODELS = Path(__file__).resolve().parents[2] / "src" / "switchhub" / "client" / "models.py"
PREFIX = "/api/v1"


@pytest.fixture(scope="module")
def document(live):
    return live.hub_app.openapi()


def _ref(content: dict) -> str | None:
    schema = (content.get("application/json") or {}).get("schema") or {}
    return schema.get("$ref", "").rsplit("/", 1)[-1] or None


def test_models_py_is_the_rendering_of_the_hubs_document(document):
    rendered = codegen.render(document)
    assert rendered == MODELS.read_text(encoding="utf-8"), (
        "models.py differs from the hub's OpenAPI document: regenerate it (src/switchhub/client/codegen.py)")


def test_the_models_have_the_documents_fields_and_required_fields(document):
    """Independently of the renderer: each request/answer model has exactly the schema's properties,
    and a field is required in the model exactly when the schema requires it."""
    from switchhub.client import models

    schemas = document["components"]["schemas"]
    for name in codegen.ROOTS:
        model = getattr(models, name)
        props = schemas[name].get("properties", {})
        fields = {f.alias or n: f for n, f in model.model_fields.items()}
        assert set(fields) == set(props), name
        required = {n for n, f in fields.items() if f.is_required()}
        assert required == set(schemas[name].get("required", [])), name


def test_every_client_operation_is_in_the_document_with_the_same_schemas(document):
    paths = document["paths"]
    checked = 0
    for name, op in OPERATIONS.items():
        item = paths.get(PREFIX + op.path)
        if op.sandbox and item is None:
            continue  # the sandbox endpoints are another part's work: checked here once the hub has them
        assert item is not None and op.method.lower() in item, f"{name}: {op.method} {op.path} not published"
        spec = item[op.method.lower()]
        body = (spec.get("requestBody") or {}).get("content") or {}
        assert _ref(body) == (op.request.__name__ if op.request else None), name
        ok = next(v for k, v in spec["responses"].items() if k.startswith("2"))
        if op.answer is not None:
            assert _ref(ok.get("content") or {}) == op.answer.__name__, name
        checked += 1
    assert checked >= sum(not op.sandbox for op in OPERATIONS.values()) == 27


def test_the_check_sees_a_wrong_operation(document):
    """The check itself: a path the hub does not publish, or another request schema, is found."""
    paths = document["paths"]
    assert PREFIX + "/relays:approve" not in paths
    spec = paths[PREFIX + OPERATIONS["switch_end"].path]["post"]
    assert _ref(spec["requestBody"]["content"]) != OPERATIONS["switch_start"].request.__name__
