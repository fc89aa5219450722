"""The applications feed is read by sequence number from a cursor (IF_11110), so a change row must
never become visible after a row with a higher number: a reader that had passed it would skip it
for good. The area therefore draws each change's number only while it holds the feed lock, which
it keeps until its transaction ends (repository.record_change, one statement per stage change).

Proved at the HTTP interface: while another session holds the feed lock, a filing waits for it
without having drawn a number; once the lock is released it is filed, and its numbers follow."""

from __future__ import annotations

import asyncio
import time

import psycopg

from switchhub.db.urls import plain_url
from tests.flow.helpers import frozen
from tests.flow.test_application_types import NOW, supplied
from tests.support import execute

FEED_LOCK = 7_211_001  # the area's feed lock: a fixed advisory lock key
LAST_NUMBER = "SELECT last_value, is_called FROM application_changes_seq_seq"


def _waiting_for_feed_lock(area_url: str) -> bool:
    return bool(execute(area_url, "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = %s"
                                  " AND NOT granted", (FEED_LOCK,)))


async def test_a_change_draws_its_feed_number_only_while_holding_the_feed_lock(stack):
    spid = supplied(stack.world, "M0300", skip=31)
    with psycopg.connect(plain_url(stack.area_url), autocommit=True) as holder, frozen(NOW):
        holder.execute("SELECT pg_advisory_lock(%s)", (FEED_LOCK,))
        before = execute(stack.area_url, LAST_NUMBER)
        async with stack.client("M0300") as cur:
            filing = asyncio.create_task(cur.post("/api/v1/applications/termination", json={"spid": spid}))
            deadline = time.monotonic() + 10
            while not _waiting_for_feed_lock(stack.area_url):
                assert time.monotonic() < deadline, "the filing never waited for the feed lock"
                assert not filing.done(), filing.result().text
                await asyncio.sleep(0.02)
            assert execute(stack.area_url, LAST_NUMBER) == before  # waiting, and no number drawn yet
            holder.execute("SELECT pg_advisory_unlock(%s)", (FEED_LOCK,))
            answer = await asyncio.wait_for(filing, 10)
    assert answer.status_code == 201, answer.text
    seqs = [h["seq"] for h in answer.json()["history"]]
    assert len(seqs) == 1  # received (01); a smart meter's termination waits for its date there
    last, _ = execute(stack.area_url, LAST_NUMBER)[0]
    assert seqs[-1] == last and seqs[0] > (before[0][0] if before[0][1] else 0)
