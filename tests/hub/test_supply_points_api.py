"""Facility lookup, batch, search and export at the HTTP interface of the hub (real PostgreSQL)."""

from __future__ import annotations

import csv
import gzip
import io
import json

from tests.expected_fields import SUPPLIER
from tests.hub.helpers import audit_rows, own_point_count, point_of, switched_point


async def test_current_supplier_sees_supplier_fields_and_is_audited(stack):
    spid = point_of(stack.world, "M0300")
    async with stack.client("M0300") as c:
        r = await c.get(f"/api/v1/supply-points/{spid}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["spid"] == spid and body["current_retailer_code"] == "M0300"
    assert body["customer_name_kanji"] and body["current_retailer_name"]
    rows = audit_rows(stack.hub_url, "api.supply_point.lookup")
    assert len(rows) == 1 and rows[0]["resource_ids"] == [spid] and rows[0]["operator_code"] == "M0300"
    assert "customer_name_kanji" in rows[0]["fields"] and rows[0]["cert_fingerprint"]


async def test_other_retailer_sees_public_fields_only_and_the_lookup_is_recorded_without_fields(stack):
    spid = point_of(stack.world, "M0300")
    async with stack.client("A0001") as c:
        r = await c.get(f"/api/v1/supply-points/{spid}")
    assert r.status_code == 200
    assert not SUPPLIER & set(r.json())
    # every lookup is recorded for the access-log analysis (lookups never followed by an application);
    # nothing sensitive was answered, so the record names no field
    rows = audit_rows(stack.hub_url, "api.supply_point.lookup")
    assert [(r["operator_code"], r["resource_ids"], r["fields"]) for r in rows] == [("A0001", [spid], [])]


async def test_bad_spid_is_a_japanese_field_error(stack):
    async with stack.client("A0001") as c:
        for bad in ("123", "99" + "0" * 20, "03abc" + "0" * 17):
            r = await c.get(f"/api/v1/supply-points/{bad}")
            assert r.status_code == 422, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            err = r.json()["errors"][0]
            assert err["field"] == "spid" and "供給地点特定番号" in err["message"]


async def test_full_width_spid_is_normalised(stack):
    spid = point_of(stack.world, "M0300")
    wide = spid.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    async with stack.client("M0300") as c:
        r = await c.get(f"/api/v1/supply-points/{wide}")
    assert r.status_code == 200 and r.json()["spid"] == spid


async def test_unknown_point_is_404(stack):
    async with stack.client("A0001") as c:
        r = await c.get("/api/v1/supply-points/0399999999999999999999")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


async def test_english_messages_on_request(stack):
    async with stack.client("A0001") as c:
        r = await c.get("/api/v1/supply-points/123", headers={"Accept-Language": "en"})
    assert r.status_code == 422 and "22" in r.json()["errors"][0]["message"]
    assert "供給" not in r.json()["errors"][0]["message"]


async def test_batch_get_mixes_relationships_and_reports_missing(stack):
    own = point_of(stack.world, "M0300")
    spid, cur, _ = switched_point(stack.world)
    missing = "0399999999999999999999"
    async with stack.client("M0300") as c:
        r = await c.post("/api/v1/supply-points:batch-get", json={"spids": [own, spid, missing]})
    assert r.status_code == 200, r.text
    items = {p["spid"]: p for p in r.json()["items"]}
    assert items[own]["customer_name_kanji"] and not SUPPLIER & set(items[spid])
    assert r.json()["not_found"] == [missing]
    rows = audit_rows(stack.hub_url, "api.supply_point.batch_get")
    assert len(rows) == 1 and rows[0]["resource_ids"] == [own, spid]  # every point answered, not the missing one
    assert "customer_name_kanji" in rows[0]["fields"] and rows[0]["item_count"] == 2


async def test_batch_get_validates_every_element_and_limit(stack):
    async with stack.client("A0001") as c:
        r = await c.post("/api/v1/supply-points:batch-get", json={"spids": ["bad", "0300000000000000000001", "x"]})
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["spids[0]", "spids[2]"]
        r = await c.post("/api/v1/supply-points:batch-get", json={"spids": ["0300000000000000000001"] * 1001})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "spids"
        r = await c.post("/api/v1/supply-points:batch-get", json={"spids": []})
        assert r.status_code == 422
        r = await c.post("/api/v1/supply-points:batch-get", content=b"{not json", headers={"content-type": "application/json"})
        assert r.status_code == 422


async def test_search_requires_prefecture_and_city(stack):
    async with stack.client("A0001") as c:
        r = await c.get("/api/v1/supply-points", params={"town": "西"})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"prefecture", "city"}


async def test_search_by_address_caps_at_100_and_pages(stack):
    from tests.hub.helpers import area_template_url
    from tests.support import execute

    pref, city, n = execute(area_template_url(stack.world),
                            "SELECT prefecture, city, count(*) FROM supply_points GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1")[0]
    async with stack.client("A0001") as c:
        r1 = await c.get("/api/v1/supply-points", params={"prefecture": pref, "city": city})
        r2 = await c.get("/api/v1/supply-points", params={"prefecture": pref, "city": city, "page": 2})
    assert r1.status_code == 200, r1.text
    b1, b2 = r1.json(), r2.json()
    assert b1["total"] == min(n, 100) and b1["truncated"] == (n > 100)
    assert len(b1["items"]) == min(20, n)
    assert not {p["spid"] for p in b1["items"]} & {p["spid"] for p in b2["items"]}
    for p in b1["items"]:
        assert not SUPPLIER & set(p)
        assert all(set(m["meter_no"][:-3]) <= {"*"} for m in p["meters"])


async def test_search_by_town_and_block_with_variant_forms(stack):
    from tests.hub.helpers import area_template_url
    from tests.support import execute

    spid, pref, city, town, block = execute(
        area_template_url(stack.world),
        "SELECT spid, prefecture, city, town, block FROM supply_points WHERE area = '03' AND block ~ '^[0-9]+-'"
        " ORDER BY spid LIMIT 1")[0]
    wide_block = block.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    async with stack.client("A0001") as c:
        r = await c.get("/api/v1/supply-points", params={"prefecture": pref, "city": city, "town": town,
                                                          "block": wide_block})
    assert r.status_code == 200, r.text
    assert spid in {p["spid"] for p in r.json()["items"]}


async def test_a_block_number_finds_that_block_and_its_sub_numbers_only(stack):
    """Search by 7 finds 7, 7-3 and 7-3-2, not 70 or 17 (the block is an index range plus the exact
    rule: area/points/service.py build_where)."""
    from tests.support import execute

    spids = [r[0] for r in execute(stack.area_url, "SELECT spid FROM supply_points WHERE area = '03'"
                                                   " ORDER BY spid LIMIT 5")]
    blocks = ["7", "7-3", "7-3-2", "70", "17"]
    for spid, block in zip(spids, blocks, strict=True):
        execute(stack.area_url, "UPDATE supply_points SET prefecture = '東京都', city = '試験市', town = '区画町',"
                " town_norm = '区画町', block = %s, block_norm = %s WHERE area = '03' AND spid = %s", (block, block, spid))
    async with stack.client("A0001") as c:
        found = {}
        for asked in ("7", "７", "7-3", "70"):
            r = await c.get("/api/v1/supply-points", params={"prefecture": "東京都", "city": "試験市", "town": "区画町",
                                                              "block": asked})
            assert r.status_code == 200, r.text
            found[asked] = sorted(p["spid"] for p in r.json()["items"])
    assert found == {"7": sorted(spids[:3]), "７": sorted(spids[:3]), "7-3": sorted(spids[1:3]), "70": [spids[3]]}


async def test_search_by_meter_shows_full_meter_number(stack):
    from tests.hub.helpers import area_template_url
    from tests.support import execute

    spid, meters = execute(area_template_url(stack.world),
                           "SELECT spid, meters FROM supply_points WHERE jsonb_array_length(meters) > 0"
                           " ORDER BY spid LIMIT 1")[0]
    meter_no = meters[0]["meter_no"]
    async with stack.client("A0001") as c:
        r = await c.get("/api/v1/supply-points", params={"meter_no": meter_no})
    assert r.status_code == 200
    items = r.json()["items"]
    assert [p["spid"] for p in items] == [spid]
    assert items[0]["meters"][0]["meter_no"] == meter_no


async def test_export_streams_own_points_as_gzip_csv_with_one_audit_row(stack):
    expected = own_point_count(stack.world, "A0001")
    async with stack.client("A0001") as c:
        r = await c.get("/api/v1/supply-points:export", params={"format": "csv", "fields": "full"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/gzip"
    rows = list(csv.DictReader(io.StringIO(gzip.decompress(r.content).decode())))
    assert len(rows) == expected > 0
    assert all(row["current_retailer_code"] == "A0001" for row in rows)
    assert "load_equipment" not in rows[0] and "tso_notes" not in rows[0]
    audit = audit_rows(stack.hub_url, "api.supply_point.export")
    assert len(audit) == 1 and audit[0]["item_count"] == expected


async def test_export_ndjson(stack):
    expected = own_point_count(stack.world, "A0001")
    async with stack.client("A0001") as c:
        r = await c.get("/api/v1/supply-points:export", params={"format": "ndjson", "fields": "full"})
    lines = gzip.decompress(r.content).decode().splitlines()
    assert len(lines) == expected
    first = json.loads(lines[0])
    assert first["current_retailer_code"] == "A0001" and "customer_name_kana" in first


async def test_export_refused_for_tso_and_bad_format(stack):
    async with stack.client("T0300") as c:
        assert (await c.get("/api/v1/supply-points:export")).status_code == 403
    async with stack.client("A0001") as c:
        r = await c.get("/api/v1/supply-points:export", params={"format": "xlsx"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "format"


async def test_reading_calendar_operators_and_me(stack):
    async with stack.client("A0001") as c:
        cal = await c.get("/api/v1/areas/03/reading-calendar", params={"year": 2027})
        ops = await c.get("/api/v1/operators", params={"kind": "tso"})
        me = await c.get("/api/v1/me")
        bad = await c.get("/api/v1/areas/11/reading-calendar")
    assert cal.status_code == 200 and len(cal.json()["months"]) == 12
    assert ops.json()["total"] == 10
    assert me.json()["operator"]["code"] == "A0001" and me.json()["certificate"]["purpose"] == "api"
    assert bad.status_code == 422


async def test_nul_characters_are_field_errors_not_server_errors(stack):
    async with stack.client("A0001") as c:
        q = await c.get("/api/v1/supply-points", params={"meter_no": "12\x0034"})
        p = await c.get("/api/v1/relays/R1%00")
        b = await c.post("/api/v1/supply-points:batch-get", content=b'{"spids": ["03\\u0000"]}',
                         headers={"content-type": "application/json"})
    assert q.status_code == 422 and q.json()["errors"][0]["field"] == "meter_no"
    assert p.status_code == 422 and b.status_code == 422


async def test_access_log_is_per_operator_and_complete_for_occto(stack):
    spid = point_of(stack.world, "M0300")
    async with stack.client("M0300") as m, stack.client("A0001") as a, stack.client("OC000") as o:
        await m.get(f"/api/v1/supply-points/{spid}")
        own = (await m.get("/api/v1/audit-records", params={"action": "api.supply_point.lookup"})).json()
        other = (await a.get("/api/v1/audit-records", params={"action": "api.supply_point.lookup",
                                                              "operator_code": "M0300"})).json()
        occto = (await o.get("/api/v1/audit-records", params={"operator_code": "M0300",
                                                              "action": "api.supply_point.lookup"})).json()
        everything = (await o.get("/api/v1/audit-records", params={"operator_code": "M0300"})).json()
        # certificate registrations are OCCTO's admin actions (issue 9 C): recorded under the acting operator,
        # naming the certificate's operator
        registrations = (await o.get("/api/v1/audit-records", params={"operator_code": "OC000",
                                                                      "action": "cli.certificate.register"})).json()
    assert [r["resource_ids"] for r in own["items"]] == [[spid]]
    assert own["items"][0]["cert_fingerprint"] == stack.world.clients["M0300-api"].fingerprint
    assert other["items"] == []
    assert [r["action"] for r in occto["items"]] == ["api.supply_point.lookup"]
    assert "api.supply_point.lookup" in {r["action"] for r in everything["items"]}
    assert "M0300" in {r["detail"]["operator"] for r in registrations["items"]}


async def test_searches_run_with_custom_plans_where_a_prefix_stays_an_index_range(stack):
    """After five executions PostgreSQL may keep a prepared statement's generic plan, in which
    `town_norm LIKE $1` is no index range (db/engine.search_reader): the seventh search by town still
    plans the prefix as a range of the address index."""
    from sqlalchemy import text

    async with stack.area_app.state.search_reader.connect() as conn:
        assert (await conn.execute(text("SHOW plan_cache_mode"))).scalar_one() == "force_custom_plan"
        for _ in range(7):
            plan = "\n".join(r[0] for r in await conn.execute(text(
                "EXPLAIN SELECT spid FROM supply_points p WHERE p.area = :area AND p.prefecture = :pref"
                " AND p.city = :city AND p.town_norm LIKE :town"), {"area": "03", "pref": "東京都", "city": "新宿区",
                                                                    "town": "西新宿%"}))
        assert "town_norm >=" in plan and "town_norm <" in plan, plan
