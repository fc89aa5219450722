"""The demo's background fill of 30-minute readings (issue 8; generate/readings_fill.py): the subset
generated at start-up plus the fill equals a generation of every smart point, newest month first,
resumable, never touching a day already present, stopped by the size cap and the disk floor."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from switchhub.config import Settings
from switchhub.db.engine import make_engine
from switchhub.db.jobs import run_due
from switchhub.generate import readings_fill
from switchhub.generate.load import load_points
from switchhub.generate.readings import generate_readings
from switchhub.kernel.clock import JST
from switchhub.worker import readings_fill_loop
from tests.support import admin_url, create_database, drop_database, execute

TODAY = date(2026, 12, 1)  # JST; the series runs 2025-10-01 … 2026-11-30 (14 calendar months)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=JST)
LATER = NOW + timedelta(hours=1)
POINTS, SEED = 1500, 5
HALF_HOURS = """SELECT md5(string_agg(spid || reading_date || revision || kwh::text || status::text, '|'
                                      ORDER BY spid, reading_date)) FROM readings_30min"""
MONTHLY = """SELECT md5(string_agg(concat_ws(',', spid, billing_month, kwh, max_demand_kw, power_factor,
                                           next_reading_date, revision), '|' ORDER BY spid, billing_month))
             FROM readings_monthly"""
JOB_KEYS = "SELECT key FROM jobs WHERE kind = 'generate.readings_fill' ORDER BY run_at, id"


def _database(per_group: int) -> str:
    from switchhub.db.migrate import upgrade

    url = create_database(admin_url(), f"gen_fill_{uuid.uuid4().hex[:8]}")
    upgrade("area", url)
    load_points(url, POINTS, SEED)
    generate_readings(url, SEED, today=TODAY, per_group=per_group)
    return url


def _checksums(url: str) -> tuple[str, str]:
    return execute(url, HALF_HOURS)[0][0], execute(url, MONTHLY)[0][0]


@pytest.fixture(scope="module")
def whole():
    """Reference: every smart point generated half-hourly at once (what the fill must arrive at)."""
    url = _database(per_group=10**9)
    yield url, _checksums(url)
    drop_database(admin_url(), url.rsplit("/", 1)[1].split("?")[0])


@pytest.fixture
def subset():
    """What `switchhub demo` holds at its banner: half hours for 4 smart points per area and retailer."""
    url = _database(per_group=4)
    yield url
    drop_database(admin_url(), url.rsplit("/", 1)[1].split("?")[0])


async def _enqueue(engine) -> int:
    async with engine.begin() as conn:
        return await readings_fill.enqueue_fill(conn, SEED, NOW)


async def test_the_jobs_are_area_months_newest_month_first(subset):
    engine = make_engine(subset, pool_size=1)
    try:
        assert await _enqueue(engine) == 140  # 10 areas × 14 calendar months
        keys = [k for (k,) in execute(subset, JOB_KEYS)]
        assert keys[:11] == [f"{a:02d}:2026-11" for a in range(1, 11)] + ["01:2026-10"]
        assert keys[-1] == "10:2025-10"
        months = [k[3:] for k in keys]
        assert months == sorted(months, reverse=True)
        # the first job run fills area 01's newest month and nothing older
        before = execute(subset, "SELECT count(*) FROM readings_30min_202610_01")
        assert await run_due(engine, readings_fill.HANDLERS, LATER, limit=1) == 1
        smart = execute(subset, """SELECT count(*) FROM supply_points WHERE area = '01'
            AND meters @> '[{"interval_collectable": true}]' AND contract_status NOT IN ('2', '3')""")[0][0]
        assert execute(subset, "SELECT count(*), count(DISTINCT spid) FROM readings_30min_202611_01") == [
            (smart * 30, smart)]
        assert execute(subset, "SELECT count(*) FROM readings_30min_202610_01") == before
        assert execute(subset, "SELECT key FROM jobs WHERE kind = 'generate.readings_fill' AND done_at IS NOT NULL") == [
            ("01:2026-11",)]
    finally:
        await engine.dispose()


async def test_subset_plus_fill_equals_the_whole_generation_and_a_restart_continues(subset, whole):
    reference_url, reference = whole
    assert _checksums(subset) != reference
    engine = make_engine(subset, pool_size=1)
    try:
        await _enqueue(engine)
        assert await run_due(engine, readings_fill.HANDLERS, LATER, limit=55) == 55
    finally:
        await engine.dispose()
    # "restart": a new process schedules again (idempotent) and runs what is left
    engine = make_engine(subset, pool_size=1)
    try:
        assert await _enqueue(engine) == 140
        assert execute(subset, "SELECT count(*) FILTER (WHERE done_at IS NULL), count(*) FROM jobs"
                               " WHERE kind = 'generate.readings_fill'") == [(85, 140)]
        assert await run_due(engine, readings_fill.HANDLERS, LATER, limit=200) == 85
    finally:
        await engine.dispose()
    assert _checksums(subset) == reference  # same values and revision 1, 30-minute and monthly
    assert execute(subset, "SELECT max(revision) FROM readings_monthly") == [(1,)]
    # the fill enqueued no metering rebuild: generated history is not a correction
    assert execute(subset, "SELECT count(*) FROM jobs WHERE starts_with(kind, 'metering.')") == [(0,)]


async def test_a_day_already_present_is_never_changed_or_duplicated(subset):
    # an ingested correction of a subset point's day, and one ingested day of a point without half hours
    kept_spid, kept_day = execute(subset, "SELECT spid, reading_date FROM readings_30min ORDER BY spid, reading_date"
                                          " OFFSET 100 LIMIT 1")[0]
    execute(subset, "UPDATE readings_30min SET kwh = '9.9999' || substr(kwh, strpos(kwh, ',')), revision = 2"
                    " WHERE spid = %s AND reading_date = %s",
            (kept_spid, kept_day))
    fresh_area, fresh_spid = execute(subset, """SELECT p.area, p.spid FROM supply_points p
        WHERE p.meters @> '[{"interval_collectable": true}]' AND p.contract_status NOT IN ('2', '3')
          AND NOT EXISTS (SELECT 1 FROM readings_30min r WHERE r.spid = p.spid) ORDER BY p.spid LIMIT 1""")[0]
    execute(subset, "INSERT INTO readings_30min (area, spid, reading_date, kwh, status) VALUES"
                    " (%s, %s, '2026-11-15', array_to_string(array_fill(1.0::numeric(10,4), ARRAY[48]), ','), array_fill(0::smallint, ARRAY[48]))",
            (fresh_area, fresh_spid))
    execute(subset, "CREATE TABLE before_fill AS SELECT spid, reading_date, revision, kwh, received_at FROM readings_30min")
    engine = make_engine(subset, pool_size=1)
    try:
        await _enqueue(engine)
        await run_due(engine, readings_fill.HANDLERS, LATER, limit=200)
        # running a month again (a job repeated after a crash) writes nothing
        async with engine.begin() as conn:
            again = await readings_fill.fill_area_month(conn, fresh_area, date(2026, 11, 1), date(2026, 11, 30), SEED,
                                                        TODAY)
        assert again.point_days == 0
    finally:
        await engine.dispose()
    assert execute(subset, "SELECT (readings_kwh(kwh))[1], revision FROM readings_30min WHERE spid = %s AND reading_date = %s",
                   (kept_spid, kept_day)) == [(Decimal("9.9999"), 2)]
    assert execute(subset, "SELECT (readings_kwh(kwh))[1], count(*) OVER () FROM readings_30min WHERE spid = %s"
                           " AND reading_date = '2026-11-15'", (fresh_spid,)) == [(Decimal("1.0000"), 1)]
    assert execute(subset, "SELECT count(*) FROM readings_30min WHERE spid = %s", (fresh_spid,)) == [(426,)]
    # the rows there before the fill are all still there, unchanged (received_at too: not rewritten)
    before, kept = execute(subset, """SELECT (SELECT count(*) FROM before_fill), count(*) FROM before_fill b
        JOIN readings_30min r USING (spid, reading_date)
        WHERE (r.revision, r.kwh, r.received_at) = (b.revision, b.kwh, b.received_at)""")[0]
    assert before > 1000 and kept == before


async def test_the_loop_stops_at_the_size_cap_and_the_disk_floor_and_completes_otherwise(subset, tmp_path):
    engine = make_engine(subset, pool_size=1)
    base = Settings(data_dir=tmp_path)
    try:
        async with engine.begin() as conn:
            await readings_fill.enqueue_fill(conn, SEED, NOW - timedelta(days=1))  # due now
        size = execute(subset, "SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('readings_30min')")[0][0]
        below = float(size) / 2**30 * 0.99  # the table is already larger than the cap: nothing more is written
        assert await readings_fill_loop(engine, base.with_(demo_readings_max_gb=below), interval=0) == "cap"
        assert await readings_fill_loop(engine, base.with_(demo_readings_min_free_gb=10**6), interval=0) == "disk"
        assert execute(subset, "SELECT count(*) FROM jobs WHERE kind = 'generate.readings_fill' AND done_at IS NOT NULL"
                       ) == [(0,)]
        # (all but the last three area-months as if done before: the loop's end, not the fill, is tested here)
        execute(subset, """UPDATE jobs SET done_at = now() WHERE kind = 'generate.readings_fill' AND id NOT IN (
            SELECT id FROM jobs WHERE kind = 'generate.readings_fill' ORDER BY run_at DESC LIMIT 3)""")
        assert await readings_fill_loop(engine, base.with_(demo_readings_max_gb=1000), interval=0) == "complete"
        assert execute(subset, "SELECT count(*) FROM jobs WHERE kind = 'generate.readings_fill' AND done_at IS NULL"
                       ) == [(0,)]
    finally:
        await engine.dispose()


async def test_a_cancelled_loop_leaves_each_area_month_whole_or_untouched(subset, tmp_path):
    """Shutdown (the worker cancels the loop): the job under way rolls back and stays pending."""
    import asyncio

    counts = """SELECT j.key, j.done_at IS NOT NULL, (SELECT count(*) FROM readings_30min r
                    WHERE r.area = left(j.key, 2) AND date_trunc('month', r.reading_date) = (right(j.key, 7) || '-01')::date)
                FROM jobs j WHERE j.kind = 'generate.readings_fill' ORDER BY j.key"""
    full = """SELECT p.area, count(*) FROM supply_points p WHERE p.meters @> '[{"interval_collectable": true}]'
              AND p.contract_status NOT IN ('2', '3') GROUP BY 1"""
    engine = make_engine(subset, pool_size=1)
    try:
        async with engine.begin() as conn:
            await readings_fill.enqueue_fill(conn, SEED, NOW - timedelta(days=1))
        before = {key: n for key, _, n in execute(subset, counts)}
        smart = dict(execute(subset, full))
        task = asyncio.create_task(readings_fill_loop(engine, Settings(data_dir=tmp_path), interval=0))
        await asyncio.sleep(3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        await engine.dispose()
    after = execute(subset, counts)
    done = [key for key, is_done, _ in after if is_done]
    assert 0 < len(done) < 140
    for key, is_done, n in after:
        days = 30 if key.endswith(("-11", "-09", "-06", "-04")) else 28 if key.endswith("-02") else 31
        assert n == (smart.get(key[:2], 0) * days if is_done else before[key]), key
