"""Two registrations for one point at the same moment: both pass the open-relay check (neither sees
the other's uncommitted relay), the database's partial unique index lets one in, and the other is
refused as a duplicate naming the relay that won, with nothing of it stored, not a 500.

Made deterministic at the HTTP interface: the competing relay is inserted by a transaction held open
in another session; the registration waits on it inside its insert, and is answered once that
transaction commits."""

from __future__ import annotations

import asyncio
import time

import psycopg

from switchhub.db.urls import plain_url
from tests.flow.helpers import frozen, smart_point_of
from tests.flow.test_switch_api import NOW, relay_body
from tests.hub.helpers import audit_rows
from tests.support import execute


def _waiting_on_a_transaction(hub_url: str) -> bool:
    return bool(execute(hub_url, "SELECT 1 FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted"))


async def test_a_registration_racing_another_for_the_point_is_refused_as_a_duplicate(stack):
    template_point, spid = smart_point_of(stack.world, "M0300", skip=14), smart_point_of(stack.world, "M0300", skip=15)
    columns = [c for (c,) in execute(stack.hub_url, "SELECT column_name FROM information_schema.columns"
                                                    " WHERE table_name = 'relays' ORDER BY ordinal_position")]
    with frozen(NOW):
        async with stack.client("A0001") as new:
            first = await new.post("/api/v1/relays", json=relay_body(template_point))
            assert first.status_code == 201, first.text
            copied = ", ".join({"relay_no": "'R-RACE-1'", "spid": "%s"}.get(c, c) for c in columns)
            with psycopg.connect(plain_url(stack.hub_url)) as rival:  # a transaction, left open
                rival.execute(f"INSERT INTO relays ({', '.join(columns)}) SELECT {copied} FROM relays"
                              " WHERE relay_no = %s", (spid, first.json()["relay_no"]))
                racing = asyncio.create_task(new.post("/api/v1/relays", json=relay_body(spid)))
                deadline = time.monotonic() + 10
                while not _waiting_on_a_transaction(stack.hub_url):
                    assert time.monotonic() < deadline, "the registration never met the rival's insert"
                    assert not racing.done(), racing.result().text
                    await asyncio.sleep(0.02)
                rival.commit()
            answer = await asyncio.wait_for(racing, 10)
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "relay_duplicate" and answer.json()["relay_no"] == "R-RACE-1"
    assert execute(stack.hub_url, "SELECT relay_no FROM relays WHERE spid = %s", (spid,)) == [("R-RACE-1",)]
    assert [r["resource_ids"] for r in audit_rows(stack.hub_url, "api.relay.register")] == [
        [first.json()["relay_no"]]]
