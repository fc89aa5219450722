"""Column types of the databases the migrations build: no blank-padded char(n) anywhere.

char(n) pads values with blanks, which every reader then has to strip; the schema uses
varchar(n) instead (hub 0005, area 0003). The migrations are also run back and forth over
rows, and over an area table with HASH sub-partitions as docs/scaling.md suggests.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest

from switchhub.db.migrate import downgrade, upgrade
from tests.support import admin_url, create_database, drop_database, execute

BPCHAR_COLUMNS = (
    "SELECT table_name, column_name, data_type, udt_name FROM information_schema.columns"
    " WHERE table_schema = 'public' AND (data_type = 'character' OR udt_name = '_bpchar')"
    " ORDER BY table_name, column_name"
)
# everything a migration must keep: tables with their partition bounds and keys, indexes with the
# partitioned index they belong to, constraints, column defaults (definitions as PostgreSQL prints them)
SHAPE = {
    "tables": "SELECT c.relname, c.relkind, pg_get_expr(c.relpartbound, c.oid),"
              " CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,"
              " (SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = c.oid)"
              " FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')",
    "indexes": "SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, i.indisvalid,"
               " (SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = i.indexrelid),"
               " pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
               " WHERE c.relnamespace = 'public'::regnamespace",
    "constraints": "SELECT conrelid::regclass::text, conname, contype, conislocal, coninhcount,"
                   " pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
    "defaults": "SELECT adrelid::regclass::text, a.attname, pg_get_expr(adbin, adrelid) FROM pg_attrdef d"
                " JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
                " JOIN pg_class c ON c.oid = d.adrelid WHERE c.relnamespace = 'public'::regnamespace",
}
SUBPARTITIONS = """
ALTER TABLE supply_points DETACH PARTITION supply_points_03;
DROP TABLE supply_points_03;
CREATE TABLE supply_points_03 PARTITION OF supply_points FOR VALUES IN ('03') PARTITION BY HASH (spid);
CREATE TABLE supply_points_03_h0 PARTITION OF supply_points_03 FOR VALUES WITH (modulus 2, remainder 0);
CREATE TABLE supply_points_03_h1 PARTITION OF supply_points_03 FOR VALUES WITH (modulus 2, remainder 1);
CREATE INDEX supply_points_03_city ON supply_points_03 (city);
"""
POINTS = """
INSERT INTO supply_points (spid, area, channel, prefecture, city, contract_form, capacity_method, supply_method,
                           disconnection_method, reading_day_code, contract_status)
SELECT a || lpad(i::text, 20, '0'), a, 'low', '東京都', '新宿区', '01', '1', '2', '3', '01', '1'
FROM generate_series(1, 50) i, (VALUES ('03'), ('06')) v(a);
INSERT INTO supply_periods (area, spid, retailer_code, valid_from)
SELECT area, spid, 'A001', DATE '2024-04-01' FROM supply_points;
INSERT INTO applications (application_no, area, spid, type, stage, applicant_code)
VALUES ('0320240401000001', '03', '03' || lpad('1', 20, '0'), '01', '01', 'A001');
"""


@pytest.fixture
def databases():
    admin, tag = admin_url(), uuid.uuid4().hex[:8]
    names = (f"types_hub_{tag}", f"types_area_{tag}")
    yield tuple(create_database(admin, name) for name in names)
    for name in names:
        drop_database(admin, name)


def shape(url: str) -> dict[str, list[tuple]]:
    return {key: sorted(execute(url, sql), key=repr) for key, sql in SHAPE.items()}


def test_no_column_is_blank_padded(databases):
    hub, area = databases
    upgrade("hub", hub)
    upgrade("area", area)
    for url in (hub, area):
        assert execute(url, BPCHAR_COLUMNS) == []
        # nor do defaults, checks or index predicates still cast to bpchar
        assert [row for rows in shape(url).values() for row in rows if "bpchar" in repr(row)] == []


def test_area_migration_keeps_rows_partitions_and_indexes_both_ways(databases):
    _, area = databases
    upgrade("area", area, "0002")
    execute(area, SUBPARTITIONS + POINTS)
    before = shape(area)
    upgrade("area", area, "0004")  # 0005 adds the readings tables (tests/area/test_readings.py)
    after = shape(area)
    assert after["tables"] == before["tables"]
    assert [row[:4] for row in after["indexes"]] == [row[:4] for row in before["indexes"]]
    assert all(valid for _, _, valid, _, _ in after["indexes"])
    assert [row[:5] for row in after["constraints"]] == [row[:5] for row in before["constraints"]]
    assert execute(area, "SELECT count(*), count(DISTINCT tableoid), min(postcode), max(length(area || spid))"
                         " FROM supply_points") == [(100, 3, "", 24)]
    assert execute(area, "SELECT retailer_code, count(*) FROM supply_periods GROUP BY 1") == [("A001", 100)]
    assert execute(area, "SELECT applicant_code, stage FROM applications") == [("A001", "01")]
    # a new row lands in its hash sub-partition, and the key still refuses a duplicate
    one_more = POINTS.split(";")[0].replace("generate_series(1, 50)", "generate_series(51, 51)")
    execute(area, one_more)
    assert execute(area, "SELECT count(*) FROM supply_points_03") == [(51,)]
    with pytest.raises(psycopg.errors.UniqueViolation):
        execute(area, one_more)
    downgrade("area", area, "0002")
    assert shape(area) == before
    assert execute(area, "SELECT DISTINCT postcode, applicant_code FROM supply_points, applications") == [
        (" " * 7, "A001 ")]


def test_hub_migration_keeps_rows_keys_and_indexes_both_ways(databases):
    hub, _ = databases
    upgrade("hub", hub, "0004")
    execute(hub, "INSERT INTO operators (code, name, kind, areas) VALUES ('A001', 'x', 'retailer', '{03,6}'),"
                 " ('A0002', 'y', 'retailer', '{}')")
    before = shape(hub)
    upgrade("hub", hub, "0005")  # the varchar migration itself (later revisions add their own tables)
    after = shape(hub)
    assert [row[:4] for row in after["indexes"]] == [row[:4] for row in before["indexes"]]
    assert [row[:5] for row in after["constraints"]] == [row[:5] for row in before["constraints"]]
    assert execute(hub, "SELECT code, areas, incumbent_areas FROM operators ORDER BY code") == [
        ("A0002", [], []), ("A001", ["03", "6"], [])]
    user = "INSERT INTO users (login_id, operator_code, role, display_name) VALUES (%s, %s, 'admin', 'u')"
    execute(hub, user, ("u1", "A001"))
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        execute(hub, user, ("u2", "B9999"))
    downgrade("hub", hub, "0004")
    assert shape(hub) == before
    assert execute(hub, "SELECT code, areas FROM operators ORDER BY code") == [
        ("A0002", []), ("A001 ", ["03", "6 "])]
