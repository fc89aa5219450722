"""At most one customer period of a point covers any day (area 0014): a period that a later one
replaces from its own first day covers no day at all, so a lookup and the own-point export (which
joins the customers by a plain join on that guarantee) show the one customer of the day, once.
Through the hub's HTTP interface, real PostgreSQL built by the migrations."""

from __future__ import annotations

import csv
import gzip
import io
import uuid
from datetime import timedelta

from switchhub.area.applications import repository as repo
from switchhub.kernel.clock import get_clock
from tests.hub.helpers import point_of
from tests.support import execute

FIRST = ("ダイイチ ハナコ", "第一 花子")  # the customer of a change carried out today
THEN = ("ダイニ ジロウ", "第二 次郎")  # the customer of a second change carried out the same day


async def test_a_customer_replaced_on_its_first_day_covers_no_day_and_the_export_has_the_point_once(stack):
    spid = point_of(stack.world, "A0001")
    today = get_clock().today()
    async with stack.area_app.state.engine.begin() as conn:  # as two executions of the same date would
        await repo.change_customer(conn, "03", spid, today, *FIRST, "03-1111-2222")
        await repo.change_customer(conn, "03", spid, today, *THEN, "03-3333-4444")
    periods = execute(stack.area_url, "SELECT name_kanji, valid_from, valid_to FROM customer_periods"
                                      " WHERE spid = %s AND valid_from >= %s ORDER BY id", (spid, today))
    assert periods == [(FIRST[1], today, today - timedelta(days=1)), (THEN[1], today, None)]
    async with stack.client("A0001") as c:
        point = await c.get(f"/api/v1/supply-points/{spid}")
        export = await c.get("/api/v1/supply-points:export", params={"fields": "full"})
    assert point.status_code == export.status_code == 200
    assert (point.json()["customer_name_kana"], point.json()["customer_name_kanji"]) == THEN
    rows = [r for r in csv.DictReader(io.StringIO(gzip.decompress(export.content).decode())) if r["spid"] == spid]
    assert [(r["customer_name_kana"], r["customer_name_kanji"]) for r in rows] == [THEN]


def test_the_migration_cuts_existing_overlaps_to_the_latest_first_day(stack):
    from switchhub.db.migrate import downgrade, upgrade
    from tests.support import admin_url, create_database, drop_database

    admin, name = admin_url(), f"customers_mig_{uuid.uuid4().hex[:8]}"
    url = create_database(admin, name)
    spid, other = "0300000000000000000001", "0300000000000000000002"
    periods = [  # (spid, name, from, to): an old one-day cut, an open period overlapped later, a plain history
        (spid, "一日", "2026-12-01", "2026-12-01"), (spid, "後任", "2026-12-01", None),
        (other, "旧", "2026-01-01", None), (other, "新", "2026-06-01", None),
        ("0300000000000000000003", "前", "2026-01-01", "2026-05-31"), ("0300000000000000000003", "今", "2026-06-01", None)]
    try:
        upgrade("area", url, "0013")
        for s, n, f, t in periods:
            execute(url, "INSERT INTO customer_periods (area, spid, name_kana, name_kanji, valid_from, valid_to)"
                         " VALUES ('03', %s, 'カナ', %s, %s, %s)", (s, n, f, t))
        upgrade("area", url)
        got = execute(url, "SELECT name_kanji, valid_from::text, valid_to::text FROM customer_periods ORDER BY id")
        assert got == [("一日", "2026-12-01", "2026-11-30"), ("後任", "2026-12-01", None),
                       ("旧", "2026-01-01", "2026-05-31"), ("新", "2026-06-01", None),
                       ("前", "2026-01-01", "2026-05-31"), ("今", "2026-06-01", None)]
        downgrade("area", url, "0013")
        assert execute(url, "SELECT valid_to::text FROM customer_periods WHERE name_kanji = '一日'") == [("2026-12-01",)]
    finally:
        drop_database(admin, name)
