"""db/driver.py: `:name` parameters become asyncpg's `$n` (casts and literals left alone), and a statement
run by the driver of a SQLAlchemy connection in a transaction runs in that transaction, whether it is the
transaction's first statement or follows SQLAlchemy's own: never before its BEGIN."""

from __future__ import annotations

import asyncio

import asyncpg

from switchhub.db.driver import execute, fetch, positional
from switchhub.db.engine import autocommit, make_engine
from switchhub.db.urls import plain_url
from tests.support import create_database, drop_database


async def _with_probe(url: str, run):
    """`run(engine)` on a database with an empty table `probe (n int)`."""
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("CREATE TABLE probe (n int)")
        return await run(engine)
    finally:
        await engine.dispose()


def test_named_parameters_become_positional_once_each():
    sql = ("SELECT x::text, '10:30' AS t FROM t WHERE a = :area AND b = ANY(CAST(:spids AS text[]))"
           " AND c <= :on AND (d IS NULL OR d >= :on)")
    assert positional(sql) == (
        "SELECT x::text, '10:30' AS t FROM t WHERE a = $1 AND b = ANY(CAST($2 AS text[]))"
        " AND c <= $3 AND (d IS NULL OR d >= $3)", ("area", "spids", "on"))


def test_a_driver_statement_inside_a_transaction_sees_its_uncommitted_rows(world):
    url = create_database(world.admin, "driver_tx_probe", world.hub_template)

    async def run(engine) -> tuple[list, list, list]:
        async with engine.connect() as conn:
            await conn.begin()
            await conn.exec_driver_sql("INSERT INTO probe VALUES (1)")
            inside = await fetch(conn, "SELECT n FROM probe WHERE n >= :low", {"low": 0})
            await conn.rollback()
        async with autocommit(engine).connect() as conn:  # the request path's readers: by the driver
            after = await fetch(conn, "SELECT n FROM probe WHERE n >= :low", {"low": 0})
            rows = await fetch(conn, "SELECT :a::int + :a::int AS two, :b::text AS b", {"a": 1, "b": "x"})
        return inside, after, rows

    try:
        inside, after, rows = asyncio.run(_with_probe(url, run))
    finally:
        drop_database(world.admin, "driver_tx_probe")
    assert (inside, after, rows) == ([{"n": 1}], [], [{"two": 2, "b": "x"}])


def test_a_driver_statement_first_in_a_transaction_is_in_it(world):
    """The adapter begins its transaction lazily, with its first statement: a driver statement that
    comes first must begin it, or the rollback would leave its row behind and the transaction's
    statements would not share one transaction id."""
    url = create_database(world.admin, "driver_tx_first", world.hub_template)

    async def run(engine) -> tuple[list, list, list]:
        async with engine.connect() as conn:
            await conn.begin()
            await execute(conn, "INSERT INTO probe VALUES (:n)", {"n": 1})  # the first statement
            [ids] = await fetch(conn, "SELECT txid_current() AS a, txid_current() AS b", {})
            [(via_engine,)] = (await conn.exec_driver_sql("SELECT txid_current()")).all()
            await conn.rollback()
        async with engine.begin() as conn:
            first = await fetch(conn, "SELECT txid_current() AS t", {})
            await conn.exec_driver_sql("INSERT INTO probe VALUES (2)")
            second = await fetch(conn, "SELECT txid_current() AS t", {})
        async with autocommit(engine).connect() as conn:
            rows = await fetch(conn, "SELECT n FROM probe ORDER BY n", {})
        return [ids["a"], ids["b"], via_engine], [r["t"] for r in first + second], rows

    try:
        same, committed_tx, rows = asyncio.run(_with_probe(url, run))
    finally:
        drop_database(world.admin, "driver_tx_first")
    assert same[0] == same[1] == same[2]  # the driver's statements and SQLAlchemy's: one transaction
    assert committed_tx[0] == committed_tx[1]
    assert rows == [{"n": 2}]  # the rolled-back transaction's first (driver) insert is gone


def test_the_raw_pool_decodes_like_the_engine_and_serves_each_event_loop(world):
    """db/rawpool.py: the same values as an engine connection (jsonb as Python values, the session in
    Asia/Tokyo, the plan cache mode asked for), opened again in the next event loop after its close."""
    from switchhub.db.rawpool import RawPool

    url = create_database(world.admin, "driver_raw_pool", world.hub_template)
    sql = ("SELECT CAST('[{\"a\": 1}]' AS jsonb) AS j, CAST('{\"b\": 2}' AS json) AS k, current_setting('TimeZone') AS tz,"
           " current_setting('plan_cache_mode') AS plans")
    pool = RawPool(url, max_size=2, name="test-raw", plan_cache_mode="force_generic_plan")

    async def through_pool() -> list:
        async with pool.connection() as conn:
            rows = await fetch(conn, sql, {})
        await pool.close()  # a loop's pool is closed in that loop (the area app closes it at shutdown)
        return rows

    async def through_engine() -> list:
        engine = make_engine(url, pool_size=1)
        try:
            async with autocommit(engine).connect() as conn:
                return await fetch(conn, sql, {})
        finally:
            await engine.dispose()

    try:
        first, second, engine_rows = asyncio.run(through_pool()), asyncio.run(through_pool()), asyncio.run(through_engine())
    finally:
        drop_database(world.admin, "driver_raw_pool")
    assert first == second == [{"j": [{"a": 1}], "k": {"b": 2}, "tz": "Asia/Tokyo", "plans": "force_generic_plan"}]
    assert [{k: v for k, v in r.items() if k != "plans"} for r in engine_rows] == [
        {k: v for k, v in r.items() if k != "plans"} for r in first]


def test_the_raw_pool_takes_a_connection_back_without_a_reset_statement(world):
    """db/rawpool.py: a connection returned to the pool costs no round trip (asyncpg's default reset
    is one more statement per lookup), yet a transaction left open is still rolled back."""
    from switchhub.db.rawpool import RawPool

    url = create_database(world.admin, "driver_raw_reset", world.hub_template)
    pool = RawPool(url, max_size=1, name="test-raw-reset", plan_cache_mode="auto")

    async def run() -> tuple[str, bool]:
        try:
            async with pool.connection() as conn:
                await conn.fetch("SELECT 1 AS the_last_statement")
            watcher = await asyncpg.connect(plain_url(url))
            try:
                last = await watcher.fetchval(
                    "SELECT query FROM pg_stat_activity WHERE application_name = 'test-raw-reset'")
            finally:
                await watcher.close()
            async with pool.connection() as conn:
                await conn.execute("BEGIN")
            async with pool.connection() as other:
                left_open = other.is_in_transaction()
            return last, left_open
        finally:
            await pool.close()

    try:
        last, left_open = asyncio.run(run())
    finally:
        drop_database(world.admin, "driver_raw_reset")
    assert last == "SELECT 1 AS the_last_statement"
    assert left_open is False
