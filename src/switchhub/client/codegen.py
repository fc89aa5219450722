"""Generates `switchhub/client/models.py` from the hub's published OpenAPI document.

The client's models are not written by hand: they are rendered from the schemas the hub serves at
`/api/v1/openapi.json`, so a field renamed or added on the server shows up as a difference in
`tests/client/test_models.py` (which renders the document of the hub app and compares it with the
committed file). Only the schemas the client uses (ROOTS) and what they refer to are rendered.

Request models forbid unknown fields (a typo fails before the request is sent); answer models allow
them (api.md: additive changes within v1 must not break an existing client). Value constraints
(patterns, lengths) are left to the server, whose 422 names the field in Japanese.

Regenerate after a change of the API:
    curl … https://hub/api/v1/openapi.json > openapi.json
    python src/switchhub/client/codegen.py openapi.json > models.new
    mv models.new src/switchhub/client/models.py
Pure: it reads a JSON document and imports nothing of the server.
"""

from __future__ import annotations

import json
import keyword
import sys
from typing import Any

#: request bodies the client sends
REQUESTS = (
    "BatchGetRequest", "RelayRegistration", "RelayDecisionInput", "RelayWithdrawal", "ReconnectionRequest",
    "TerminationRequest", "SwitchStartRequest", "SwitchEndRequest", "CustomerChangeRequest",
    "AmpereChangeRequest", "CorrectionRequest", "WithdrawRequest", "UsagePasswordRequest",
    "UsageInquiryRequest", "UsageBatchInquiryRequest",
)
#: answers the client parses
ANSWERS = (
    "SupplyPoint", "BatchLookupAnswer", "SearchPage", "Relay", "RelayPage", "ApplicationAnswer",
    "ApplicationList", "FeedAnswer", "MeteringFileList", "UsagePasswordAnswer", "UsageAnswer",
    "UsageBatchAnswer", "Problem",
)
ROOTS = REQUESTS + ANSWERS
#: names pydantic's BaseModel uses itself: such fields get a trailing underscore and an alias
_RESERVED = {"copy", "json", "dict", "schema", "validate", "construct", "fields"}

HEADER = '''"""Typed models of the hub API, GENERATED from its OpenAPI document by `switchhub.client.codegen`.

Do not edit: regenerate (see codegen.py); tests/client/test_models.py fails when this file and the
hub's document differ.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict{field_import}


class RequestModel(BaseModel):
    """A request body: unknown fields are refused before anything is sent."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AnswerModel(BaseModel):
    """An answer: fields added by a later version of v1 are kept, not refused."""
    model_config = ConfigDict(extra="allow", populate_by_name=True)
'''


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[1]


def _is_enum(schema: dict[str, Any]) -> bool:
    return "enum" in schema and schema.get("type", "string") == "string"


def _type(schema: dict[str, Any], doc: dict[str, Any]) -> str:
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            parts = []
            for sub in schema[key]:
                t = _type(sub, doc)
                if t not in parts:
                    parts.append(t)
            return " | ".join(parts)
    if _is_enum(schema):
        return "Literal[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"]) + "]"
    kind = schema.get("type")
    if kind == "null":
        return "None"
    if kind == "string":
        return {"date": "_dt.date", "date-time": "_dt.datetime"}.get(schema.get("format", ""), "str")
    if kind == "integer":
        return "int"
    if kind == "number":
        return "float"
    if kind == "boolean":
        return "bool"
    if kind == "array":
        return f"list[{_type(schema.get('items', {}), doc)}]"
    if kind == "object" and "properties" not in schema:
        return "dict[str, Any]"
    return "Any"


def _refs(schema: Any) -> list[str]:
    out: list[str] = []
    if isinstance(schema, dict):
        if "$ref" in schema:
            out.append(_ref_name(schema["$ref"]))
        for value in schema.values():
            out += _refs(value)
    elif isinstance(schema, list):
        for value in schema:
            out += _refs(value)
    return out


def _closure(doc: dict[str, Any]) -> list[str]:
    schemas = doc["components"]["schemas"]
    seen: list[str] = []
    todo = list(ROOTS)
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.append(name)
        todo += [r for r in _refs(schemas[name]) if r not in seen]
    return sorted(seen)


def _field(name: str, schema: dict[str, Any], required: bool, doc: dict[str, Any]) -> str:
    annotation = _type(schema, doc)
    py = name + "_" if keyword.iskeyword(name) or name in _RESERVED else name
    if not required and "None" not in annotation.split(" | "):
        annotation += " | None"
    if py != name:
        return f"    {py}: {annotation} = Field({'' if required else 'None, '}alias={name!r})"
    return f"    {py}: {annotation}" + ("" if required else " = None")


def _docline(schema: dict[str, Any]) -> str:
    """The schema's first sentence (description, else title), on one line of at most 96 characters."""
    text = (schema.get("description") or schema.get("title") or "").strip()
    para = " ".join(text.split("\n\n")[0].split())
    for end in ("。", ". "):
        if end in para:
            para = para.split(end, 1)[0] + end.strip()
    para = para.replace('"""', "'").replace("\\", "/")
    return para if len(para) <= 96 else para[:95] + "…"


def render(doc: dict[str, Any]) -> str:
    """The source of models.py for one OpenAPI document (deterministic: sorted, no timestamps)."""
    schemas = doc["components"]["schemas"]
    names = _closure(doc)
    out: list[str] = []
    for name in names:  # enums first: type aliases must exist before the classes use them at runtime
        s = schemas[name]
        if _is_enum(s):
            out.append(f"\n{name} = {_type(s, doc)}")
    for name in names:
        s = schemas[name]
        if _is_enum(s):
            continue
        base = "RequestModel" if name in REQUESTS else "AnswerModel"
        lines = ["", "", f"class {name}({base}):"]
        doc_line = _docline(s)
        if doc_line and doc_line != name:
            lines.append(f'    """{doc_line}"""')
        required = set(s.get("required", []))
        props = s.get("properties", {})
        for prop in props:
            lines.append(_field(prop, props[prop], prop in required, doc))
        if not props:
            lines.append("    pass")
        out.append("\n".join(lines))
    out.append("")
    for name in names:
        if not _is_enum(schemas[name]):
            out.append(f"{name}.model_rebuild()")
    body = "\n".join(out) + "\n"
    return HEADER.format(field_import=", Field" if "Field(" in body else "") + body


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    with open(args[0], encoding="utf-8") as f:
        sys.stdout.write(render(json.load(f)))


if __name__ == "__main__":
    main()
