"""Stateful property test of usage password requests (type 08) over the real HTTP interface.

Hypothesis interleaves, at two points of one customer: requests by two retailers (matching the
customer, or not: a wrong name), the T&D's decisions (the area's T&D or another area's), status
reads by the applicant and by another retailer, inquiries with picked-up and wrong passwords by any
retailer, and clock advances. Before every call a model written from the issue predicts the answer:
stages 01 → 06 on a match, 01 → 02 → 06 / 09 after review (anything else 409), the password exactly
once to the applicant after issue (another retailer: 404), an inquiry answered while the password is
unexpired and covers the point (else the one 403). After every step the area database equals the
model (each request's stage) and no picked-up password is still held in plaintext.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from switchhub.kernel.clock import JST, FixedClock, get_clock, set_clock
from tests.support import build_stack, close_stack, execute
from tests.usage.helpers import body, make_customer, points

START = datetime(2026, 11, 24, 10, 0, tzinfo=JST)
RETAILERS = ("A0001", "A0002")


@dataclass
class MRequest:
    no: str
    applicant: str
    spids: list[int]
    stage: str
    validity: int
    issued_at: datetime | None = None
    picked: bool = False
    password: str | None = None
    reviewed: bool = False  # went to the T&D's review (the name did not match)


class UsageMachine(RuleBasedStateMachine):
    world = None
    spids: list[str] = []

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.previous_clock = get_clock()
        self.clock = FixedClock(START)
        set_clock(self.clock)
        self.stack = build_stack(self.world)
        make_customer(self.stack, self.spids)
        self.requests: list[MRequest] = []

    def teardown(self) -> None:
        self.loop.run_until_complete(close_stack(self.stack))
        set_clock(self.previous_clock)
        self.loop.close()

    def call(self, operator: str, method: str, url: str, **kw):
        async def go():
            async with self.stack.client(operator) as c:
                return await c.request(method, url, **kw)

        return self.loop.run_until_complete(go())

    def valid(self, r: MRequest) -> bool:
        return r.stage == "06" and self.clock.now() < r.issued_at + timedelta(days=r.validity)

    @rule(applicant=st.sampled_from(RETAILERS), which=st.sampled_from([[0], [1], [0, 1]]), match=st.booleans(),
          validity=st.sampled_from([1, 7, 31]))
    def request(self, applicant, which, match, validity):
        over = {} if match else {"customer_name_kanji": "別人 次郎"}
        r = self.call(applicant, "POST", "/api/v1/applications/usage-password",
                      json=body([self.spids[i] for i in which], validity_days=validity, **over))
        assert r.status_code == 201, r.text
        answer = r.json()
        expected = "06" if match else "02"
        assert (answer["stage"], answer["verification"], answer["password"]) == (
            expected, "auto" if match else "review", None)
        self.requests.append(MRequest(answer["application_no"], applicant, which, expected, validity,
                                      self.clock.now() if match else None, reviewed=not match))

    @precondition(lambda self: self.requests)
    @rule(k=st.integers(0, 20), decision=st.sampled_from(["issue", "reject"]), tso=st.sampled_from(["T0300", "T0600"]))
    def decide(self, k, decision, tso):
        req = self.requests[k % len(self.requests)]
        payload = {"decision": decision, **({"reason_code": "identity_mismatch"} if decision == "reject" else {})}
        r = self.call(tso, "POST", f"/api/v1/usage-password-reviews/{req.no}/decision", json=payload)
        if tso != "T0300" or not req.reviewed:  # another area's T&D; a request that never went to review
            assert r.status_code == 404, r.text
        elif req.stage != "02":
            assert r.status_code == 409 and r.json()["code"] == "stage_transition_not_allowed", r.text
        else:
            assert r.status_code == 200, r.text
            req.stage = "06" if decision == "issue" else "09"
            if decision == "issue":
                req.issued_at = self.clock.now()
            assert r.json()["stage"] == req.stage

    @precondition(lambda self: self.requests)
    @rule(k=st.integers(0, 20), by_applicant=st.booleans())
    def status(self, k, by_applicant):
        req = self.requests[k % len(self.requests)]
        who = req.applicant if by_applicant else next(x for x in RETAILERS if x != req.applicant)
        r = self.call(who, "GET", f"/api/v1/applications/usage-password/{req.no}")
        if not by_applicant:
            assert r.status_code == 404
            return
        assert r.status_code == 200 and r.json()["stage"] == req.stage
        shows = req.stage == "06" and not req.picked and self.valid(req)
        assert (r.json()["password"] is not None) == shows, (req, r.json())
        if shows:
            req.picked, req.password = True, r.json()["password"]

    @precondition(lambda self: self.requests)
    @rule(k=st.integers(0, 20), point=st.sampled_from([0, 1]), who=st.sampled_from(RETAILERS + ("M0300",)),
          wrong=st.booleans())
    def inquire(self, k, point, who, wrong):
        req = self.requests[k % len(self.requests)]
        password = "222222-222222-222222" if wrong or req.password is None else req.password
        r = self.call(who, "POST", f"/api/v1/supply-points/{self.spids[point]}/usage:query",
                      json={"password": password, "purpose": "試算"})
        ok = not wrong and req.password is not None and point in req.spids and self.valid(req)
        assert r.status_code == (200 if ok else 403), (req, r.text)

    @rule(hours=st.sampled_from([1, 6, 25, 170, 750]))  # past 1, 7 and 31 days of validity too
    def advance(self, hours):
        self.clock.advance(hours=hours)

    @invariant()
    def the_database_equals_the_model(self):
        stored = dict(execute(self.stack.area_url, "SELECT application_no, stage FROM usage_requests"))
        assert stored == {r.no: r.stage for r in self.requests}
        held = {no for (no,) in execute(self.stack.area_url,
                                        "SELECT application_no FROM usage_requests WHERE pickup_password IS NOT NULL")}
        assert not held & {r.no for r in self.requests if r.picked}


def test_usage_request_state_machine(world):
    UsageMachine.world = world
    UsageMachine.spids = points(world, 2, skip=40)
    UsageMachine.TestCase.settings = settings(max_examples=12, stateful_step_count=20, deadline=None,
                                              suppress_health_check=list(HealthCheck))
    UsageMachine.TestCase().runTest()
