"""Generated meter readings (issue 8): deterministic from the seed, 30-minute series for smart
meters with a daily and seasonal shape, monthly totals only for the others, the monthly totals of
smart points being the sums of their half hours between reading days."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from switchhub.generate.load import load_points
from switchhub.generate.readings import generate_readings
from switchhub.kernel.calendar import reading_date
from tests.support import admin_url, create_database, drop_database, execute

TODAY = date(2026, 12, 1)  # JST; the series runs 2025-10-01 … 2026-11-30
CHECKSUM = """SELECT md5(string_agg(spid || reading_date || revision || kwh::text || status::text, '|'
                                   ORDER BY spid, reading_date)) FROM readings_30min"""
MONTHLY_CHECKSUM = """SELECT md5(string_agg(concat_ws(',', spid, billing_month, kwh, max_demand_kw, power_factor,
                                                    next_reading_date), '|' ORDER BY spid, billing_month))
                      FROM readings_monthly"""


@pytest.fixture(scope="module")
def area_db():
    from switchhub.db.migrate import upgrade

    admin, name = admin_url(), f"gen_readings_{uuid.uuid4().hex[:8]}"
    url = create_database(admin, name)
    upgrade("area", url)
    load_points(url, 1500, 5)
    generate_readings(url, 5, today=TODAY, per_group=4)
    yield url
    drop_database(admin, name)


def _checksums(url: str) -> tuple[str, str]:
    return execute(url, CHECKSUM)[0][0], execute(url, MONTHLY_CHECKSUM)[0][0]


def test_smart_points_have_half_hours_and_the_others_monthly_totals_only(area_db):
    # every half-hourly series belongs to a smart (interval-collectable) meter; 48 slots, all filled
    assert execute(area_db, """SELECT count(*) FROM readings_30min r JOIN supply_points p USING (area, spid)
        WHERE NOT p.meters @> '[{"interval_collectable": true}]'""") == [(0,)]
    assert execute(area_db, "SELECT min(reading_date), max(reading_date), bool_and(array_position(readings_kwh(kwh), NULL) IS NULL)"
                            " FROM readings_30min") == [(date(2025, 10, 1), date(2026, 11, 30), True)]
    # non-smart active points: 13 months of monthly totals (billing months 2025-11 … 2026-11), no half hours
    rows = execute(area_db, """SELECT p.spid, count(m.*), count(r.*) FROM supply_points p
        LEFT JOIN readings_monthly m USING (area, spid) LEFT JOIN LATERAL (
            SELECT 1 FROM readings_30min r WHERE r.area = p.area AND r.spid = p.spid LIMIT 1) r ON true
        WHERE NOT p.meters @> '[{"interval_collectable": true}]' AND p.contract_status NOT IN ('2', '3')
        GROUP BY p.spid""")
    assert len(rows) > 100
    assert {(months >= 13, halves) for _, months, halves in rows} == {(True, 0)}
    # vacant points (contract status 2, 3) have no readings at all
    assert execute(area_db, """SELECT count(*) FROM supply_points p WHERE p.contract_status IN ('2', '3') AND
        EXISTS (SELECT 1 FROM readings_monthly m WHERE m.area = p.area AND m.spid = p.spid)""") == [(0,)]


def test_a_smart_points_month_is_the_sum_of_its_half_hours_between_reading_days(area_db):
    spid, area, code = execute(area_db, """SELECT p.spid, p.area, p.reading_day_code FROM supply_points p
        WHERE EXISTS (SELECT 1 FROM readings_30min r WHERE r.area = p.area AND r.spid = p.spid)
        ORDER BY p.spid LIMIT 1""")[0]
    start, end, after = (reading_date(area, code, y, m) for y, m in ((2026, 6), (2026, 7), (2026, 8)))
    expected = execute(area_db, """SELECT sum(v), max(v) * 2 FROM readings_30min, unnest(readings_kwh(kwh)) v
        WHERE area = %s AND spid = %s AND reading_date >= %s AND reading_date < %s""", (area, spid, start, end))[0]
    got = execute(area_db, "SELECT kwh, max_demand_kw, next_reading_date, revision FROM readings_monthly"
                           " WHERE area = %s AND spid = %s AND billing_month = '2026-07-01'", (area, spid))
    assert got == [(expected[0], expected[1], after, 1)]
    months = execute(area_db, "SELECT count(*) FROM readings_monthly WHERE area = %s AND spid = %s", (area, spid))
    assert months[0][0] >= 13


def test_the_half_hours_have_a_daily_and_a_seasonal_shape(area_db):
    night, evening = execute(area_db, "SELECT avg((readings_kwh(kwh))[7]), avg((readings_kwh(kwh))[39]) FROM readings_30min")[0]  # 3:00, 19:00
    assert evening > 2 * night
    august, may = execute(area_db, """SELECT
        avg(t) FILTER (WHERE date_trunc('month', reading_date) = '2026-08-01'),
        avg(t) FILTER (WHERE date_trunc('month', reading_date) = '2026-05-01')
        FROM (SELECT reading_date, (SELECT sum(v) FROM unnest(readings_kwh(kwh)) v) AS t FROM readings_30min) d""")[0]
    assert august > Decimal("1.2") * may


def test_the_same_seed_gives_the_same_readings_and_another_seed_others(area_db):
    """(Last in the module: it regenerates.)"""
    sums = _checksums(area_db)
    assert None not in sums
    generate_readings(area_db, 6, today=TODAY, per_group=4)  # replaces what is there
    other = _checksums(area_db)
    assert other[0] != sums[0] and other[1] != sums[1]
    again = generate_readings(area_db, 5, today=TODAY, per_group=4)
    assert _checksums(area_db) == sums
    assert again.half_hourly_points > 50 and again.point_days == again.half_hourly_points * 426


def test_a_few_curtailment_events_for_the_demo_deterministic_from_the_seed(area_db):
    """The source of the form C02: the first 3 active measured-demand points of every area, one event
    in each of the two months before TODAY's, on half hours from 13:00, 1–3 hours, 制限 10 % / 中止 20 %."""
    rows = execute(area_db, "SELECT area, trim(spid), kind, starts_at AT TIME ZONE 'Asia/Tokyo',"
                            " ends_at AT TIME ZONE 'Asia/Tokyo', reason, discount_rate FROM curtailment_events"
                            " ORDER BY area, spid, starts_at")
    points = execute(area_db, "SELECT area, trim(spid) FROM (SELECT area, spid, row_number() OVER (PARTITION BY area"
                              " ORDER BY spid) AS n FROM supply_points WHERE capacity_method = '3'"
                              " AND contract_status = '1') p WHERE n <= 3 ORDER BY 1, 2")
    assert points and [(a, s) for a, s, *_ in rows] == [p for p in points for _ in range(2)]
    for i, (_, _, kind, t0, t1, reason, rate) in enumerate(rows):
        assert (t0.year, t0.month) == ((2026, 10) if i % 2 == 0 else (2026, 11)) and t0.day <= 25
        assert t0.minute in (0, 30) and 13 <= t0.hour <= 16 and t0.second == 0
        assert 60 <= (t1 - t0).total_seconds() / 60 <= 180 and (t1 - t0).total_seconds() % 1800 == 0
        assert (kind, reason, rate) in (("制限", "需給ひっ迫", Decimal("10.00")), ("中止", "配電線工事", Decimal("20.00")))
    generate_readings(area_db, 5, today=TODAY, per_group=4)  # the same seed again: the same events
    assert execute(area_db, "SELECT area, trim(spid), kind, starts_at AT TIME ZONE 'Asia/Tokyo', ends_at AT TIME ZONE"
                            " 'Asia/Tokyo', reason, discount_rate FROM curtailment_events"
                            " ORDER BY area, spid, starts_at") == rows
