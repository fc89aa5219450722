"""The area contract as its own published artefact (issue 10): `docs/area-contract.openapi.json` is
exactly what `switchhub contract openapi --out` writes (so it cannot drift from the code), and it
carries what an implementer needs beyond the routes: the events an area posts to the hub with each
kind's payload, the refusal codes per operation, the visibility per relationship and the deadline.
Expected values are written here from the spec (api.md, domain.md, security.md)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from switchhub import cli

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "area-contract.openapi.json"
#: domain.md: supplier-class and tso-only fields of the facility record (a sample of each class)
SUPPLIER_FIELDS = {
    "customer_name_kana",
    "customer_name_kanji",
    "customer_phone",
    "contact_phone",
    "service_menu",
    "contract_power",
    "current_retailer_code",
}
TSO_ONLY_FIELDS = {"load_equipment", "tso_notes"}
PUBLIC_SAMPLE = {"spid", "area", "channel", "postcode", "meters", "pole_no", "contract_status"}
#: api.md: stage changes, matching and password issuance are events (and metering files, metering.md)
EVENT_KINDS = {
    "application.stage_changed",
    "switch.matched",
    "switch.match_failed",
    "switch.completed",
    "switch.withdrawn",
    "usage.password_issued",
    "usage.password_rejected",
    "usage.review_due",
    "usage.review_overdue",
    "metering.file_published",
}


def _generated(tmp_path: Path) -> str:
    out = tmp_path / "contract.json"
    result = CliRunner().invoke(cli.app, ["contract", "openapi", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_the_committed_document_is_the_generated_one(tmp_path):
    generated = _generated(tmp_path)
    assert COMMITTED.read_text(encoding="utf-8") == generated, (
        "docs/area-contract.openapi.json is stale: run `switchhub contract openapi --out "
        "docs/area-contract.openapi.json`"
    )


def test_the_events_are_part_of_the_document(tmp_path):
    doc = json.loads(_generated(tmp_path))
    schemas = doc["components"]["schemas"]
    post = doc["webhooks"]["areaEvents"]["post"]
    assert (
        post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        == "#/components/schemas/AreaEventBatch"
    )
    variants = {
        v["properties"]["kind"]["const"]: v["properties"]["payload"]["$ref"].rsplit("/", 1)[1]
        for v in schemas["AreaEvent"]["oneOf"]
    }
    assert set(variants) == EVENT_KINDS
    assert all(name in schemas for name in variants.values())
    # a stage change names the application, its stages and the rule (the feed entry, pushed)
    assert {"application_no", "from_stage", "to_stage", "rule"} <= set(
        schemas[variants["application.stage_changed"]]["required"]
    )
    assert "duplicates" in post["description"]


def test_every_operation_lists_its_refusal_codes_with_a_problem_answer(tmp_path):
    doc = json.loads(_generated(tmp_path))
    missing = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            codes = op.get("x-refusal-codes")
            if not codes or codes.get("403") is None or "hub_certificate_required" not in codes["403"]:
                missing.append(f"{method} {path}: {codes}")
                continue
            for status, names in codes.items():
                answer = op["responses"].get(status, {})
                if "application/problem+json" not in answer.get("content", {}) or not all(
                    n in answer["description"] for n in names
                ):
                    missing.append(f"{method} {path} {status}")
    assert missing == []
    start = doc["paths"]["/area/v1/applications/switch-start"]["post"]["x-refusal-codes"]
    # processes.md P4 state checks: a second switch-start by another retailer, or of the same kind
    assert {"other_switch_pending", "conflicting_application", "already_supplier"} <= set(start["409"])
    assert doc["paths"]["/area/v1/supply-points/{spid}"]["get"]["x-refusal-codes"]["404"] == ["not_found"]
    withdraw = doc["paths"]["/area/v1/applications/{application_no}:withdraw"]["post"]["x-refusal-codes"]
    assert withdraw["404"] == ["not_found"] and withdraw["409"] == ["stage_transition_not_allowed"]


def test_the_visibility_per_relationship_is_documented(tmp_path):
    doc = json.loads(_generated(tmp_path))
    vis = doc["x-visibility"]
    fields = {rel: set(f) for rel, f in vis["lookup_fields"].items()}
    assert set(fields) == {
        "current_supplier",
        "former_supplier",
        "other_retailer",
        "tso_own_area",
        "tso_other_area",
        "occto",
    }
    for rel in ("current_supplier", "tso_own_area"):  # security.md: the supplier and the T&D
        assert SUPPLIER_FIELDS | PUBLIC_SAMPLE <= fields[rel] and not TSO_ONLY_FIELDS & fields[rel]
    for rel in ("former_supplier", "other_retailer", "tso_other_area", "occto"):
        assert PUBLIC_SAMPLE <= fields[rel] and not (SUPPLIER_FIELDS | TSO_ONLY_FIELDS) & fields[rel]
    assert {vis["field_classes"][f] for f in TSO_ONLY_FIELDS} == {"tso_only"}
    assert doc["x-deadline-seconds"] == 5.0  # the hub's default area timeout (config.py)
