"""db/together.py and driver.hold: writes held in a block go to PostgreSQL as one statement when they
touch different tables, in order when they touch the same one, before any read of the connection,
never when the block fails; and SQLAlchemy cannot run a statement past them."""

from __future__ import annotations

import asyncio

import pytest

from switchhub.db import driver, together
from switchhub.db.engine import make_engine
from tests.support import create_database, drop_database


def test_statements_combined_with_their_parameters_renamed_apart_and_their_with_lists_lifted():
    sql, params = together.combine([
        ("INSERT INTO a (x) VALUES (:x)", {"x": 1}),
        ("WITH s AS (UPDATE b SET y = :x WHERE id = :id) INSERT INTO c (z) VALUES (CAST(:x AS text))",
         {"x": 2, "id": 3}),
    ])
    assert sql == ("WITH _w1 AS (INSERT INTO a (x) VALUES (:w1_x)), s AS (UPDATE b SET y = :w2_x WHERE id = :w2_id),"
                   " _w2 AS (INSERT INTO c (z) VALUES (CAST(:w2_x AS text))) SELECT 1")
    assert params == {"w1_x": 1, "w2_x": 2, "w2_id": 3}


def test_the_tables_a_statement_writes():
    assert together.targets("INSERT INTO jobs (k) VALUES (:k) ON CONFLICT (k) DO UPDATE SET run_at = 1") == {"jobs"}
    assert together.targets("WITH s AS (UPDATE relays SET a = 1) INSERT INTO relay_history SELECT 1") == {
        "relays", "relay_history"}
    assert together.names("WITH feed AS (SELECT '(' AS p), change AS (INSERT INTO t VALUES (1)) SELECT 1") == {
        "feed", "change"}


@pytest.fixture()
def url(world):
    url = create_database(world.admin, "held_writes", world.hub_template)
    yield url
    drop_database(world.admin, "held_writes")


SETUP = [
    "CREATE TABLE seen (tbl text, query text)",
    "CREATE TABLE a (id int PRIMARY KEY, v text)",
    "CREATE TABLE b (id int PRIMARY KEY, v text)",
    "CREATE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN INSERT INTO seen VALUES (TG_TABLE_NAME, current_query()); RETURN NULL; END$$",
    "CREATE TRIGGER a_seen AFTER INSERT OR UPDATE ON a FOR EACH ROW EXECUTE FUNCTION note()",
    "CREATE TRIGGER b_seen AFTER INSERT OR UPDATE ON b FOR EACH ROW EXECUTE FUNCTION note()",
]


def _run(url, block):
    async def go():
        engine = make_engine(url, pool_size=1)
        try:
            async with engine.begin() as conn:
                for sql in SETUP:
                    await conn.exec_driver_sql(sql)
            result = await block(engine)
            async with engine.connect() as conn:
                seen = await driver.fetch(conn, "SELECT tbl, query FROM seen ORDER BY tbl", {})
                rows = await driver.fetch(conn, "SELECT 'a' AS t, id, v FROM a UNION ALL SELECT 'b', id, v FROM b"
                                                " ORDER BY 1, 2", {})
            return result, seen, rows
        finally:
            await engine.dispose()
    return asyncio.run(go())


def test_writes_to_different_tables_are_one_statement_sent_before_the_next_read(url):
    async def block(engine):
        async with engine.begin() as conn:
            async with driver.hold(conn):
                await driver.write(conn, "INSERT INTO a VALUES (:id, :v)", {"id": 1, "v": "x"})
                await driver.write(conn, "INSERT INTO b VALUES (:id, :v)", {"id": 1, "v": "y"})
                read = await driver.fetch(conn, "SELECT v FROM a UNION ALL SELECT v FROM b ORDER BY 1", {})
        return read

    read, seen, rows = _run(url, block)
    assert read == [{"v": "x"}, {"v": "y"}]  # the read inside the block sees both
    assert [s["tbl"] for s in seen] == ["a", "b"]
    assert seen[0]["query"] == seen[1]["query"] and seen[0]["query"].startswith("WITH _w1 AS (INSERT INTO a")
    assert rows == [{"t": "a", "id": 1, "v": "x"}, {"t": "b", "id": 1, "v": "y"}]


def test_a_write_to_a_table_already_held_follows_the_held_ones(url):
    """The UPDATE must see the INSERT of its row: in one statement it would not."""
    async def block(engine):
        async with engine.begin() as conn:
            async with driver.hold(conn):
                await driver.write(conn, "INSERT INTO a VALUES (:id, :v)", {"id": 1, "v": "x"})
                await driver.write(conn, "UPDATE a SET v = :v WHERE id = :id", {"id": 1, "v": "changed"})
                await driver.write(conn, "INSERT INTO b VALUES (:id, :v)", {"id": 2, "v": "y"})

    _, seen, rows = _run(url, block)
    assert rows == [{"t": "a", "id": 1, "v": "changed"}, {"t": "b", "id": 2, "v": "y"}]
    assert len({s["query"] for s in seen}) == 2  # the INSERT alone, then the UPDATE with b's INSERT


def test_a_failing_block_sends_nothing_and_sqlalchemy_cannot_overtake_held_writes(url):
    async def block(engine):
        async with engine.connect() as conn:
            await conn.begin()
            with pytest.raises(RuntimeError, match="held"):
                async with driver.hold(conn):
                    await driver.write(conn, "INSERT INTO a VALUES (:id, :v)", {"id": 1, "v": "x"})
                    await conn.exec_driver_sql("INSERT INTO b VALUES (9, 'overtaking')")
            await conn.commit()  # what the block held was never sent

    _, seen, rows = _run(url, block)
    assert (seen, rows) == ([], [])
