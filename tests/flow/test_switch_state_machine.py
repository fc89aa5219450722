"""Stateful property test of the switch lifecycle across retailers, points and time.

Hypothesis interleaves relay registrations, decisions, withdrawals, switch applications and
clock advances over the real HTTP interface and database, checking after every step:
at most one open relay per point; at most one supplier per point and day; matched pairs
agree on both sides; no stage goes backwards; every terminal relay has a reason.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import text

from switchhub.kernel.clock import JST, FixedClock, get_clock, set_clock
from tests.flow.helpers import settle, smart_point_of
from tests.flow.test_switch_api import relay_body, start_body
from tests.support import build_stack, close_stack

RETAILERS = ("A0001", "A0002", "M0300")
RANK = {"01": 0, "02": 1, "03": 2, "04": 3, "05": 4, "10": 5, "06": 6, "07": 6, "08": 6, "09": 6}


@pytest.fixture
def world_for_machine(world):
    return world


def test_switch_lifecycle_state_machine(world_for_machine):
    world = world_for_machine
    points = [smart_point_of(world, "M0300", skip=20 + i) for i in range(3)]

    class SwitchMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self) -> None:
            self.loop = asyncio.new_event_loop()
            self.previous_clock = get_clock()
            self.clock = FixedClock(datetime(2026, 11, 24, 10, 0, tzinfo=JST))
            set_clock(self.clock)
            self.stack = build_stack(world)
            self.relays: list[str] = []
            self.apps: list[str] = []

        def run(self, coro):
            return self.loop.run_until_complete(coro)

        async def call(self, operator: str, method: str, url: str, **kw):
            async with self.stack.client(operator) as c:
                return await c.request(method, url, **kw)

        @rule(who=st.sampled_from(("A0001", "A0002")), p=st.integers(0, 2), days=st.integers(8, 30))
        def register_relay(self, who, p, days):
            date = (self.clock.today() + timedelta(days=days)).isoformat()
            r = self.run(self.call(who, "POST", "/api/v1/relays", json=relay_body(points[p], requested_switch_date=date)))
            assert r.status_code in (201, 409), r.text
            if r.status_code == 201:
                self.relays.append(r.json()["relay_no"])

        @rule(i=st.integers(0, 50), ok=st.booleans())
        def decide(self, i, ok):
            if not self.relays:
                return
            relay_no = self.relays[i % len(self.relays)]
            body = {"decision": "01", "staff_name": "担当"} if ok else {
                "decision": "02", "staff_name": "担当", "ng_reasons": ["4"]}
            r = self.run(self.call("M0300", "POST", f"/api/v1/relays/{relay_no}/decision", json=body))
            assert r.status_code in (200, 409, 404), r.text

        @rule(i=st.integers(0, 50), who=st.sampled_from(("A0001", "A0002")))
        def withdraw_relay(self, i, who):
            if not self.relays:
                return
            r = self.run(self.call(who, "POST", f"/api/v1/relays/{self.relays[i % len(self.relays)]}:withdraw",
                                   json={"reason": "需要者都合"}))
            assert r.status_code in (200, 404, 409), r.text

        @rule(who=st.sampled_from(RETAILERS), p=st.integers(0, 2), use_relay=st.booleans())
        def switch_start(self, who, p, use_relay):
            body = start_body(points[p])
            if use_relay and self.relays:
                body["relay_no"] = self.relays[-1]
            r = self.run(self.call(who, "POST", "/api/v1/applications/switch-start", json=body))
            assert r.status_code in (201, 409, 422), r.text
            if r.status_code == 201:
                self.apps.append(r.json()["application_no"])

        @rule(p=st.integers(0, 2), who=st.sampled_from(RETAILERS))
        def switch_end(self, p, who):
            starts = [a for a in self.apps]
            body = {"spid": points[p]}
            if starts:
                st_ = self.run(self.call("OC000", "GET", f"/api/v1/applications/{starts[-1]}")).json()
                if st_.get("spid") == points[p] and st_.get("switch_date"):
                    body["switch_date"] = st_["switch_date"]
            r = self.run(self.call(who, "POST", "/api/v1/applications/switch-end", json=body))
            assert r.status_code in (201, 409, 422), r.text
            if r.status_code == 201:
                self.apps.append(r.json()["application_no"])

        @rule(i=st.integers(0, 50), who=st.sampled_from(RETAILERS))
        def withdraw_application(self, i, who):
            if not self.apps:
                return
            r = self.run(self.call(who, "POST", f"/api/v1/applications/{self.apps[i % len(self.apps)]}:withdraw",
                                   json={"reason": "取消"}))
            assert r.status_code in (200, 404, 409), r.text

        @rule(days=st.integers(1, 12))
        def advance(self, days):
            self.clock.advance(days=days)
            self.run(settle(self.stack))

        async def rows(self, engine, sql: str):
            async with engine.connect() as conn:
                return (await conn.execute(text(sql))).all()

        @invariant()
        def one_open_relay_per_point(self):
            if not hasattr(self, "stack"):
                return
            rows = self.run(self.rows(self.stack.hub_app.state.engine,
                                      "SELECT spid FROM relays WHERE status IN ('01','02') GROUP BY spid HAVING count(*) > 1"))
            assert rows == []

        @invariant()
        def terminal_relays_have_reasons(self):
            if not hasattr(self, "stack"):
                return
            rows = self.run(self.rows(self.stack.hub_app.state.engine,
                                      "SELECT relay_no FROM relays WHERE status IN ('03','04','05','06','07')"
                                      " AND (status_reason = '' OR (status = '03' AND cardinality(ng_reasons) = 0))"))
            assert rows == []

        @invariant()
        def one_supplier_per_day(self):
            if not hasattr(self, "stack"):
                return
            rows = self.run(self.rows(self.stack.area_app.state.engine,
                                      "SELECT a.spid FROM supply_periods a JOIN supply_periods b ON a.area = b.area"
                                      " AND a.spid = b.spid AND a.id < b.id AND daterange(a.valid_from,"
                                      " a.valid_to, '[]') && daterange(b.valid_from, b.valid_to, '[]')"))
            assert rows == []

        @invariant()
        def matched_pairs_agree(self):
            if not hasattr(self, "stack"):
                return
            rows = self.run(self.rows(self.stack.area_app.state.engine,
                                      "SELECT a.application_no FROM applications a JOIN applications b"
                                      " ON b.application_no = a.matched_with WHERE b.matched_with <> a.application_no"
                                      " OR a.spid <> b.spid OR a.requested_date <> b.requested_date"
                                      " OR (a.stage IN ('05','06') AND a.stage <> b.stage)"))
            assert rows == []

        @invariant()
        def stages_never_go_backwards(self):
            if not hasattr(self, "stack"):
                return
            rows = self.run(self.rows(self.stack.area_app.state.engine,
                                      "SELECT application_no, from_stage, to_stage FROM application_changes ORDER BY seq"))
            last: dict[str, str] = {}
            for no, frm, to in rows:
                assert frm == last.get(no), (no, frm, last.get(no))
                if frm is not None:
                    assert RANK[to] >= RANK[frm] and frm not in ("06", "07", "08", "09"), (no, frm, to)
                last[no] = to

        def teardown(self):
            if hasattr(self, "stack"):
                self.run(close_stack(self.stack))
                set_clock(self.previous_clock)
                self.loop.close()

    SwitchMachine.TestCase.settings = settings(max_examples=15, stateful_step_count=25, deadline=None,
                                               suppress_health_check=list(HealthCheck))
    SwitchMachine.TestCase().runTest()
