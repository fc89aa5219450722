"""The own-point export's column sets (`fields=standard|full`) and gzip choice at the HTTP interface
of the hub and of the area (real PostgreSQL)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib

import httpx
import zstandard

from tests.expected_fields import PUBLIC, SUPPLIER
from tests.hub.helpers import audit_rows, own_point_count, switched_point
from tests.support import with_client_cert

#: `fields=standard` (the default), written from the spec (api.md export row, domain.md's field
#: table): the columns a retailer's back office reconciles its supply list with, in answer order
STANDARD = [
    "spid", "area", "channel",
    "postcode", "prefecture", "city", "town", "block", "building", "room",
    "contract_form", "capacity_method", "contract_current", "contract_capacity",
    "meters", "reading_day_code", "contract_status",
    "service_menu", "contract_power", "customer_name_kana",
]
#: computed per lookup (reading dates from the calendar, the retailer's name) or per point
#: (pending applications): not in any export
NOT_EXPORTED = frozenset({"next_reading_date", "next_but_one_reading_date", "pending_applications",
                          "current_retailer_name"})
FULL = (PUBLIC | SUPPLIER) - NOT_EXPORTED


def _csv(r: httpx.Response) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(gzip.decompress(r.content).decode()))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


async def test_default_export_is_the_standard_columns_named_in_the_header_and_the_audit(stack):
    expected = own_point_count(stack.world, "A0001")
    async with stack.client("A0001") as c:
        r = await c.get("/api/v1/supply-points:export")
    assert r.status_code == 200, r.text
    assert r.headers["x-export-fields"].split(",") == STANDARD
    header, rows = _csv(r)
    assert header == STANDARD and len(rows) == expected > 0
    assert all(row["customer_name_kana"] for row in rows)
    audit = audit_rows(stack.hub_url, "api.supply_point.export")
    assert len(audit) == 1 and sorted(audit[0]["fields"]) == sorted(STANDARD) and audit[0]["item_count"] == expected
    assert audit[0]["detail"]["fields"] == "standard"


async def test_full_export_is_every_public_and_supplier_field_and_is_audited_as_such(stack):
    async with stack.client("A0001") as c:
        r = await c.get("/api/v1/supply-points:export", params={"fields": "full", "format": "ndjson"})
    assert r.status_code == 200, r.text
    assert set(r.headers["x-export-fields"].split(",")) == FULL
    first = json.loads(gzip.decompress(r.content).decode().splitlines()[0])
    assert set(first) == FULL and first["current_retailer_code"] == "A0001"
    audit = audit_rows(stack.hub_url, "api.supply_point.export")
    assert len(audit) == 1 and set(audit[0]["fields"]) == FULL and audit[0]["detail"]["fields"] == "full"


async def test_small_compression_is_the_same_rows(stack):
    async with stack.client("A0001") as c:
        fast = await c.get("/api/v1/supply-points:export")
        small = await c.get("/api/v1/supply-points:export", params={"compression": "small"})
        bad = await c.get("/api/v1/supply-points:export", params={"compression": "zip"})
    assert fast.status_code == small.status_code == 200
    assert gzip.decompress(fast.content) == gzip.decompress(small.content)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "compression"


def _parts(body: bytes, new) -> tuple[int, bytes]:
    """(parts, decompressed): a body of concatenated gzip members or zstd frames read part by part
    with a fresh decompressor each (`new()`)."""
    parts, data = 0, b""
    while body:
        z = new()
        data += z.decompress(body)
        assert z.eof, "a part ends inside the body"
        parts, body = parts + 1, z.unused_data
    return parts, data


async def test_zstd_compression_is_the_same_rows_as_a_zst_file_one_frame_per_area(stack):
    async with stack.client("A0001") as c:
        fast = await c.get("/api/v1/supply-points:export", params={"format": "ndjson"})
        zst = await c.get("/api/v1/supply-points:export", params={"format": "ndjson", "compression": "zstd"})
    assert fast.status_code == zst.status_code == 200, zst.text
    assert fast.headers["content-type"] == "application/gzip"
    assert zst.headers["content-type"] == "application/zstd"
    assert zst.headers["content-disposition"] == 'attachment; filename="supply-points-A0001.ndjson.zst"'
    assert zst.content[:4] == b"\x28\xb5\x2f\xfd"  # the zstd frame magic (RFC 8878)
    members, rows = _parts(fast.content, lambda: zlib.decompressobj(wbits=31))
    frames, same_rows = _parts(zst.content, lambda: zstandard.ZstdDecompressor().decompressobj())
    assert same_rows == rows and rows.count(b"\n") == own_point_count(stack.world, "A0001") > 0
    audit = audit_rows(stack.hub_url, "api.supply_point.export")
    assert [a["detail"]["compression"] for a in audit] == ["fast", "zstd"]
    assert frames == members == len(audit[1]["detail"]["areas"]) > 1


async def test_a_former_supplier_exports_no_row_of_the_point_in_either_set(stack):
    spid, current, former = switched_point(stack.world)
    for fields in ("standard", "full"):
        async with stack.client(former) as c:
            r = await c.get("/api/v1/supply-points:export", params={"fields": fields})
        assert r.status_code == 200
        header, rows = _csv(r)
        assert spid not in {row["spid"] for row in rows}
        assert {row.get("current_retailer_code", former) for row in rows} == {former}
    async with stack.client("T0300") as c:  # a T&D sees supplier fields by lookup, but exports nothing
        assert (await c.get("/api/v1/supply-points:export", params={"fields": "full"})).status_code == 403


async def test_unknown_fields_value_is_a_japanese_field_error_and_nothing_is_exported(stack):
    async with stack.client("A0001") as c:
        r = await c.get("/api/v1/supply-points:export", params={"fields": "everything"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    err = r.json()["errors"][0]
    assert err["field"] == "fields" and "指定できない値です" in err["message"]
    assert audit_rows(stack.hub_url, "api.supply_point.export") == []


async def test_the_area_refuses_an_unknown_fields_value_and_answers_the_standard_set_by_default(stack):
    headers = {"X-Switchhub-Operator": "A0001", "X-Switchhub-Operator-Kind": "retailer"}
    transport = httpx.ASGITransport(app=with_client_cert(stack.area_app, stack.world.hub_client.pem))
    async with httpx.AsyncClient(transport=transport, base_url="https://area.test") as c:
        bad = await c.get("/area/v1/supply-points:export", params={"area": "03", "fields": "all"}, headers=headers)
        ok = await c.get("/area/v1/supply-points:export", params={"area": "03"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "fields"
    assert "指定できない値です" in bad.json()["errors"][0]["message"]
    assert ok.status_code == 200 and ok.headers["x-export-fields"].split(",") == STANDARD
