"""The read path's audit records by group commit (hub/audit/group_commit.py): each caller returns only
when its records are committed, the records of concurrent callers share one transaction, and a record
the database refuses fails its own caller only."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from switchhub.db.engine import make_engine
from switchhub.hub.audit.group_commit import group_commit
from switchhub.hub.audit.repository import AuditEntry
from tests.support import create_database, drop_database


def _entry(i: int, operator_code: str = "M0300") -> AuditEntry:
    return AuditEntry(action="supply_point.lookup", operator_code=operator_code, user_login="m0300-api",
                      resource_type="supply_point", resource_ids=[f"0312345678901234{i:06d}"[:22]],
                      fields=["customer_name_kanji", "contract_capacity"], purpose="switching", item_count=1,
                      request_id=f"req-{i}", detail={"n": i, "名前": "東京"})


@pytest.fixture
def audit_db(world):
    url = create_database(world.admin, "audit_group_commit", world.hub_template)
    yield url
    drop_database(world.admin, "audit_group_commit")


def run(url: str, scenario):
    async def main():
        engine = make_engine(url, pool_size=4)
        try:
            return await asyncio.wait_for(scenario(engine), 30)  # a caller never settled fails, not hangs
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def _rows(engine) -> list[dict]:
    async with engine.connect() as conn:  # a connection of its own: sees committed rows only
        rows = await conn.execute(text(
            "SELECT id, xmin::text AS tx, request_id, operator_code, resource_ids, fields, item_count, detail"
            " FROM audit_records WHERE request_id LIKE 'req-%' ORDER BY id"))
        return [dict(r._mapping) for r in rows]


def test_concurrent_callers_return_after_one_commit_that_holds_all_their_records(audit_db):
    async def scenario(engine):
        writer = group_commit(engine)
        await writer.write([_entry(0)])  # an idle writer writes at once: its own transaction
        await asyncio.gather(*(writer.write([_entry(i)]) for i in range(1, 41)))
        return await _rows(engine)

    rows = run(audit_db, scenario)
    assert [r["request_id"] for r in rows] == [f"req-{i}" for i in range(41)]  # in the callers' order
    assert len({r["tx"] for r in rows[1:]}) == 1 and rows[0]["tx"] != rows[1]["tx"]
    first = rows[1]
    assert first["operator_code"] == "M0300" and first["item_count"] == 1
    assert first["fields"] == ["contract_capacity", "customer_name_kanji"]  # sorted, as the single INSERT does
    assert first["resource_ids"] == ["0312345678901234000001"] and first["detail"] == {"n": 1, "名前": "東京"}


def test_a_record_the_database_refuses_fails_its_own_caller_only(audit_db):
    async def scenario(engine):
        writer = group_commit(engine)
        outcomes = await asyncio.gather(
            *(writer.write([_entry(i, "TOOLONG" if i == 3 else "M0300")]) for i in range(6)),
            return_exceptions=True)
        return outcomes, await _rows(engine)

    outcomes, rows = run(audit_db, scenario)
    assert [o is None for o in outcomes] == [True, True, True, False, True, True]
    assert "value too long" in str(outcomes[3])
    assert [r["request_id"] for r in rows] == ["req-0", "req-1", "req-2", "req-4", "req-5"]


def test_a_caller_that_goes_away_does_not_take_the_others_records_with_it(audit_db):
    async def scenario(engine):
        writer = group_commit(engine)
        first = asyncio.ensure_future(writer.write([_entry(0)]))
        others = [asyncio.ensure_future(writer.write([_entry(i)])) for i in (1, 2)]
        await asyncio.sleep(0)  # all three queued, the write of the first under way
        others[0].cancel()  # its client disconnected
        await asyncio.gather(first, others[1])
        return await _rows(engine)

    rows = run(audit_db, scenario)
    # the cancelled caller's record was already queued: it is written (a lookup is recorded even when
    # its answer was never read), and its going away did not stop the other caller's write
    assert [r["request_id"] for r in rows] == ["req-0", "req-1", "req-2"]


def test_callers_of_a_write_that_was_cancelled_are_not_left_waiting(audit_db):
    async def scenario(engine):
        writer = group_commit(engine)
        callers = [asyncio.ensure_future(writer.write([_entry(i)])) for i in range(3)]
        await asyncio.sleep(0)  # queued; the write under way
        writer._writer.cancel()  # as when the serving loop shuts down
        return await asyncio.gather(*callers, return_exceptions=True)

    outcomes = run(audit_db, scenario)
    assert all(isinstance(o, asyncio.CancelledError) for o in outcomes), outcomes
