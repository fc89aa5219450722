"""The hub takes a relay and an application's index row in one order whoever takes them: a switch-start
filed on a relay (relay locked, then the area's answer, then the index row) and the area's event for
that very filing, which can arrive while the filing's transaction is still open (the area committed,
its worker delivered). In the other order the two waited for each other and PostgreSQL broke the
deadlock with a 500 to one of them (found by bench/soak.py, 2026-12-02).

On real PostgreSQL with two connections: the filing side holds the relay, the event is received on
the other connection, then the filing side writes the index row and commits; both must finish."""

from __future__ import annotations

import asyncio

from switchhub.contract.events import AreaEvent, EventKind
from switchhub.hub.applications import repository as index
from switchhub.hub.inbox import service as inbox
from switchhub.hub.relays import repository as relays_repo
from switchhub.kernel.clock import get_clock
from tests.flow.helpers import frozen, smart_point_of
from tests.flow.test_switch_api import NOW, relay_body


async def test_a_filings_open_transaction_and_its_own_stage_event_do_not_deadlock(stack):
    spid = smart_point_of(stack.world, "M0300")
    with frozen(NOW):
        async with stack.client("A0001") as new, stack.client("M0300") as cur:
            relay_no = (await new.post("/api/v1/relays", json=relay_body(spid))).json()["relay_no"]
            ok = await cur.post(f"/api/v1/relays/{relay_no}/decision", json={"decision": "01", "staff_name": "現 太郎"})
            assert ok.status_code == 200 and ok.json()["status"] == "02", ok.text
        now = get_clock().now()
    application_no = "03" + "9" * 14
    answer = {"application_no": application_no, "spid": spid, "type": "05", "stage": "04", "applicant_code": "A0001",
              "relay_no": relay_no, "switch_date": "2026-12-20", "received_at": now.isoformat()}
    event = AreaEvent(id=1, area="03", kind=EventKind.APPLICATION_STAGE_CHANGED, payload={
        "application_no": application_no, "type": "05", "spid": spid, "applicant_code": "A0001", "from_stage": "01",
        "to_stage": "04", "rule": "accept", "relay_no": relay_no, "requested_date": "2026-12-20"})
    engine = stack.hub_app.state.engine
    async with engine.connect() as filing, engine.connect() as receiving:
        await filing.begin()
        assert await relays_repo.get(filing, relay_no, for_update=True) is not None  # the filing holds the relay
        await receiving.begin()
        received = asyncio.create_task(inbox.receive(receiving, [event], now))
        await asyncio.sleep(1.5)  # the event's transaction is now as far as it gets while the relay is held
        await asyncio.wait_for(index.upsert_filed(filing, answer, now), timeout=10)  # PostgreSQL: deadlock_timeout 1 s
        await filing.commit()
        assert await asyncio.wait_for(received, timeout=10) == {"accepted": 1, "duplicates": 0}
        await receiving.commit()
    async with engine.connect() as conn:
        row = (await conn.exec_driver_sql(
            "SELECT stage, relay_no FROM applications_index WHERE application_no = $1", (application_no,))).one()
    assert tuple(row) == ("04", relay_no)
