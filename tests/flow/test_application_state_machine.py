"""Stateful property test of every application type, interleaved with the relays and switches of
test_switch_state_machine.py, against a model written from the spec.

Hypothesis interleaves, over the real HTTP interface and databases, at three supplied points and
one vacant (廃止中) point: relays and their decisions, switch-starts and switch-ends (the switch
test's actions, unchanged), terminations (01) and removals (02) by the current supplier, move-ins
(reconnection 04) at the vacant point or after a pending termination, ampere changes (06),
customer changes (07), corrections (update flag 2) and withdrawals (3) of these, and clock
advances that run the workers' jobs (dates fixed → 05, executions on the date → 06).

Before every call the model predicts the exact answer: the status; for a refusal the problem code
(and, for a state check that names an application, which one) or the 422 field and code; for a
success the type, stage, date and date-fix day. After every step the databases equal the model
everywhere: every relay's status, every application's stage, each point's contract status and
contract current, its supply periods (retailer, from, to) and its current customer. The
structural invariants hold throughout (checked on the area database over SQL): at most one open
application per group per point ({03, 05 of the pair}, {01/02}, {04}, {06}, {07}); supply periods
never overlap and have no gap except where the point stood vacant; customer periods never overlap; a vacant or removed point has
no supply period covering today, a 契約中 point has one; no stage goes backwards except by the
`correct` rule; the switch test's relay invariants.

The model is written from processes.md P3–P6, domain.md and the state checks of
docs/state-checks.md (the order of the checks); dates come from `switchhub.kernel.calendar`
(earliest_date, date_fix_day, the switch lead times), the one place for date arithmetic.
Decisions where the spec leaves the answer open are written next to them ("Decision:").

SWITCHHUB_STATEFUL=long runs a longer profile; run with -s to see the predicted outcomes a run
exercised.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, timedelta

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule
from sqlalchemy import text

from switchhub.kernel import calendar as cal
from tests.flow.helpers import smart_point_of
from tests.flow.test_application_types import NEW_CUSTOMER, vacant
from tests.flow.test_switch_state_machine import (
    ACTIONS,
    AREA,
    HUB_CHECKS,
    LIVE,
    OUTCOMES,
    RANK,
    RETAILERS,
    SWITCH_END,
    SWITCH_START,
    UNMATCHED,
    Expect,
    MApp,
    SwitchMachine,
    SwitchModel,
    check,
)
from tests.hub.helpers import area_template_url
from tests.support import execute

TERMINATION, REMOVAL, RECONNECTION, AMPERE, CUSTOMER = "01", "02", "04", "06", "07"  # domain.md types
OTHER_TYPES = (TERMINATION, REMOVAL, RECONNECTION, AMPERE, CUSTOMER)
TERMINATIONS = {TERMINATION, REMOVAL}
SWITCHES = {SWITCH_START, SWITCH_END}
# processes.md "State checks": one open application per group; the switch pair is one 03 and one 05
GROUP = {TERMINATION: "termination", REMOVAL: "termination", RECONNECTION: "reconnection", AMPERE: "ampere",
         CUSTOMER: "customer", SWITCH_START: SWITCH_START, SWITCH_END: SWITCH_END}
NEEDS_SUPPLIER = {TERMINATION, REMOVAL, SWITCH_END, AMPERE, CUSTOMER}  # 供給事業者不一致 otherwise
ACTIVE = {"1", "4"}  # 契約中, 臨時 (domain.md contract status); 2 廃止中, 3 撤去
WAITING = {"01", "02", "03", "04"}  # before the date is fixed (05): correctable, withdrawn straight to 07
# processes.md P5/P6 lead times by rule name of the calendar (kernel.calendar.APPLICATION_LEAD_DAYS)
LEAD = {TERMINATION: "termination", REMOVAL: "termination_removal", RECONNECTION: "reconnection",
        AMPERE: "ampere_change", CUSTOMER: "customer_change"}
PATH = {TERMINATION: "termination", REMOVAL: "termination", RECONNECTION: "reconnection",
        AMPERE: "ampere-change", CUSTOMER: "customer-change"}
DATE_FIELD = {TERMINATION: "end_date", REMOVAL: "end_date", RECONNECTION: "start_date", AMPERE: "effective_date",
              CUSTOMER: "effective_date"}
AMPERES = (10, 15, 20, 30, 40, 50, 60)  # P6
CONTACTS = {"contact_name": "撤去 立会", "contact_phone": "03-1111-2222"}  # required with a removal
MOVER = dict(NEW_CUSTOMER)  # the new customer of a move-in (contract current 30 A, アンペアブレーカ)
SWITCHED_CUSTOMER = "山田 太郎"  # the customer of the switch test's start_body
RENAMED = ("アタラシ タロウ", "新 太郎")


@dataclass
class XApp(MApp):
    """An application of a type other than switching: `switch_date` is its date (end, start or effective
    date) and `matching_deadline` the last day before the date is fixed (date_fix_day)."""

    change: dict = field(default_factory=dict)  # what it changes on the date (new current, name)


@dataclass
class Job:
    """A scheduled step of the T&D for one application, run in (day, order) once the clock reaches it."""

    day: date
    order: int
    kind: str  # schedule (→ 05), execute (on the date), deadline (switch matching), switch (pair executes)
    no: str


class ApplicationModel(SwitchModel):
    def __init__(self, reading_codes: list[str], today: date, initial: dict) -> None:
        super().__init__(reading_codes, today)
        self.supplier = list(initial["supplier"])
        self.last_supplier = [s or "M0300" for s in initial["supplier"]]
        self.status = list(initial["status"])
        self.current = list(initial["current"])
        self.customer = list(initial["customer"])
        self.periods = [list(map(list, ps)) for ps in initial["periods"]]
        self.vacancies = set(initial["gaps"])  # (point, last supplied day, next first day)
        self.jobs: list[Job] = []
        self.order = 0

    # --- lookups ---------------------------------------------------------------------------------

    def named_current(self, p: int) -> str:
        # Decision: a relay for a vacant point names the retailer that supplied it last (the customer's
        # former retailer); the hub does not check the point's supplier at registration.
        return self.supplier[p] or self.last_supplier[p]

    def earliest_for(self, kind: str) -> date:
        """P5/P6: the earliest allowed date filed today (every point here has a smart meter)."""
        return cal.earliest_date(LEAD[kind], True, self.today, AREA)

    def default_for(self, kind: str, p: int, exclude: str | None = None) -> date:
        """The date of an application filed without one: the earliest allowed; a move-in at a point with a
        pending move-out takes the day after the termination's date if that is later (state-checks.md)."""
        first = self.earliest_for(kind)
        terms = [a for a in self.live_apps(p) if a.type in TERMINATIONS and a.no != exclude]
        if kind == RECONNECTION and terms:
            first = max(first, terms[0].switch_date + timedelta(days=1))
        return first

    def job(self, day: date, kind: str, no: str) -> None:
        self.order += 1
        self.jobs.append(Job(day, self.order, kind, no))

    # --- the state checks (docs/state-checks.md, in its order) -----------------------------------

    def refusal(self, kind: str, who: str, p: int, when: date | None, exclude: str | None = None,
                point_only: bool = False) -> tuple[str, str | None] | None:
        """The first failing check for a new application of `kind` by `who`, as (code, the named
        application); `point_only`: the applicant and contract-status checks alone (what an execution
        re-checks for the applications still open)."""
        live = [a for a in self.live_apps(p) if a.no != exclude]
        supplier, status = self.supplier[p], self.status[p]
        if kind in NEEDS_SUPPLIER and supplier != who:
            return "not_current_supplier", None
        if kind == SWITCH_START and supplier == who:
            return "already_supplier", None
        if kind != RECONNECTION:
            if status not in ACTIVE:
                return "contract_status", None
            # (06 also needs アンペアブレーカ: every point and every move-in here has it)
        elif status != "2":
            terms = [a for a in live if a.type in TERMINATIONS]
            if status not in ACTIVE or not terms:
                return "contract_status", None
            if not terms[0].switch_date < when:  # move-out then move-in: the start after the end date
                return "termination_pending", terms[0].no
        if point_only:
            return None
        blocking = {SWITCH_START: TERMINATIONS, SWITCH_END: TERMINATIONS, TERMINATION: SWITCHES, REMOVAL: SWITCHES}
        reason = "termination_pending" if kind in SWITCHES else "switch_pending"
        for a in live:
            if a.type in blocking.get(kind, ()):
                return reason, a.no
        if kind == SWITCH_START:
            for a in live:
                if a.type == SWITCH_START and a.applicant != who:
                    return "other_switch_pending", a.no
        for a in live:
            if GROUP[a.type] == GROUP[kind]:
                return "conflicting_application", a.no
        return None

    def state_refusal(self, kind: str, who: str, p: int) -> str | None:
        found = self.refusal(kind, who, p, None)
        return found[0] if found else None

    def expect_register(self, who: str, p: int, named: str) -> Expect:
        if who == named:
            return Expect(422, field="current_retailer_code", code="self")
        # P3: the current retailer has filed a switch-end or a termination (01/02) → 廃止受付中
        if any(a.type in TERMINATIONS | {SWITCH_END} for a in self.live_apps(p)):
            return Expect(409, "termination_pending")
        if self.open_relay(p) is not None:
            return Expect(409, "relay_duplicate")
        return Expect(201)

    # --- filing the other types ------------------------------------------------------------------

    def field_issue(self, kind: str, p: int, change: dict) -> Expect | None:
        """The field checks against the point, before the state checks (a 422 naming the field)."""
        if kind == AMPERE:
            if change["current"] not in AMPERES:
                return Expect(422, field="contract_current", code="invalid_value")
            if change["current"] == self.current[p]:  # P6: a change to the value it has is no change
                return Expect(422, field="contract_current", code="unchanged")
        if kind == CUSTOMER and change.get("half"):
            return Expect(422, field="customer_name_kanji", code="required")  # a name needs kana and kanji
        return None

    def expect_file(self, kind: str, who: str, p: int, requested: date | None, change: dict,
                    exclude: str | None = None) -> tuple[Expect, str | None, date]:
        """(the answer, the application a 409 names, the date the application takes)."""
        when = requested or self.default_for(kind, p, exclude)
        if issue := self.field_issue(kind, p, change):
            return issue, None, when
        if found := self.refusal(kind, who, p, when, exclude):
            return Expect(409, found[0]), found[1], when
        if requested is not None and requested < self.earliest_for(kind):
            # Decision (as for switching): the date is checked after the state checks
            return Expect(422, field=DATE_FIELD[kind], code="date_too_early"), None, when
        return Expect(201), None, when

    def file_other(self, no: str, kind: str, who: str, p: int, when: date, change: dict) -> XApp:
        self.seq += 1
        app = XApp(no, p, kind, who, when, cal.date_fix_day(LEAD[kind], True, when, AREA), None, self.seq,
                   stage="03" if kind == REMOVAL else "01", change=change)  # 03: the meter is removed on site
        self.apps[no] = app
        self.job(app.matching_deadline + timedelta(days=1), "schedule", no)
        self.job(when, "execute", no)
        return app

    def file(self, no: str, kind: str, who: str, p: int, switch_date: date, relay_no: str | None) -> MApp:
        app = super().file(no, kind, who, p, switch_date, relay_no)
        self.job(app.matching_deadline + timedelta(days=1), "deadline", no)
        if app.partner:
            start = app if kind == SWITCH_START else self.apps[app.partner]
            self.job(switch_date, "switch", start.no)
        return app

    def correct(self, app: XApp, kind: str, when: date, change: dict) -> None:
        app.type, app.switch_date, app.change = kind, when, change
        app.matching_deadline = cal.date_fix_day(LEAD[kind], True, when, AREA)
        app.stage = "03" if kind == REMOVAL else "01"
        for j in self.jobs:  # the same jobs, moved to the new days
            if j.no == app.no:
                j.day = app.matching_deadline + timedelta(days=1) if j.kind == "schedule" else when

    def withdraw_app(self, app: MApp) -> None:
        if app.type in SWITCHES:
            return super().withdraw_app(app)
        # P4–P6 update flag 3: before the date is fixed → 07; after, the request (10) rejects it (09)
        app.stage = "07" if app.stage in WAITING else "09"

    # --- time ------------------------------------------------------------------------------------

    def run_area_jobs(self, today: date) -> None:
        """The T&D's day: dates fixed at the end of the last day a new filing could still take them;
        unmatched switch applications rejected after their matching deadline; changes on their date.
        Decision: changes due on the same day happen in the order they were arranged (a switch pair when
        it matched, any other application when it was filed); a correction keeps an application's place."""
        for j in sorted((j for j in self.jobs if j.day <= today), key=lambda j: (j.day, j.order)):
            self.jobs.remove(j)
            a = self.apps[j.no]
            if j.kind == "deadline" and a.stage in UNMATCHED:
                self.reject(a)
            elif j.kind == "switch" and a.stage == self.apps[a.partner].stage == "05":
                self.execute_switch(a)
            elif j.kind == "schedule" and a.stage in WAITING:
                a.stage = "05"
            elif j.kind == "execute" and a.stage in WAITING | {"05"}:
                a.stage = "05"
                if self.refusal(a.type, a.applicant, a.point, a.switch_date, a.no, point_only=True):
                    self.reject(a)  # e.g. a move-in whose move-out was withdrawn: the point is still supplied
                    OUTCOMES[f"{a.type} rejected on its date"] += 1
                else:
                    self.execute(a)

    def reject(self, a: MApp) -> None:
        a.stage = "09"
        if a.type == SWITCH_START and a.relay_no:
            self.undelivered.append((a.relay_no, "05"))  # P3: the relay fails with its switch-start

    def end_supply(self, p: int, last_day: date) -> None:
        for period in self.periods[p]:
            if period[0] == self.supplier[p] and period[2] is None:
                period[2] = last_day
        self.supplier[p] = None

    def start_supply(self, p: int, retailer: str, first_day: date) -> None:
        last = max((period[2] for period in self.periods[p] if period[2] is not None), default=None)
        if self.supplier[p] is None and last is not None and last + timedelta(days=1) < first_day:
            self.vacancies.add((p, last, first_day))  # the days the point stood vacant
        self.periods[p].append([retailer, first_day, None])
        self.supplier[p] = self.last_supplier[p] = retailer

    def execute(self, a: XApp) -> None:
        """P5/P6 on the date: supply ends the day before (01 → 廃止中, 02 → 撤去); a move-in's applicant
        supplies from the date with a new customer (契約中); a new contract current; a new name."""
        p, day = a.point, a.switch_date
        a.stage = "06"
        if a.type in TERMINATIONS:
            self.end_supply(p, day - timedelta(days=1))
            self.status[p] = "2" if a.type == TERMINATION else "3"
            self.customer[p] = None
        elif a.type == RECONNECTION:
            self.start_supply(p, a.applicant, day)
            self.status[p], self.current[p], self.customer[p] = "1", MOVER["contract_current"], \
                MOVER["customer_name_kanji"]
        elif a.type == AMPERE:
            self.current[p] = a.change["current"]
        elif a.type == CUSTOMER and a.change.get("name"):
            self.customer[p] = RENAMED[1]
        OUTCOMES[f"{a.type} executed"] += 1
        self.supersede(a)

    def execute_switch(self, start: MApp) -> None:
        p, day = start.point, start.switch_date
        start.stage = self.apps[start.partner].stage = "06"
        self.end_supply(p, day - timedelta(days=1))
        self.start_supply(p, start.applicant, day)
        self.customer[p] = SWITCHED_CUSTOMER
        OUTCOMES["executed"] += 1
        self.supersede(start)

    def supersede(self, done: MApp) -> None:
        """The open applications the change made impossible are rejected (09), a matched pair whole."""
        for other in self.live_apps(done.point):
            if other.stage in LIVE and self.refusal(other.type, other.applicant, other.point, other.switch_date,
                                                     other.no, point_only=True):
                for victim in [other] + ([self.apps[other.partner]] if other.partner else []):
                    self.reject(victim)
                OUTCOMES[f"{other.type} superseded by {done.type}"] += 1


# ---------------------------------------------------------------------------------------------
# The steps: the switch test's actions (at all four points) and the other types'
# ---------------------------------------------------------------------------------------------

P4 = st.integers(0, 3)  # which supply point; 3 is vacant at the start
K3 = st.integers(0, 2)
ROLE = st.sampled_from(("supplier",) * 4 + ("challenger",))
WHEN = st.one_of(st.none(), st.none(), st.integers(-1, 8))  # no date (the default), or earliest + n days
NEW_ACTIONS: dict[str, tuple[int, dict]] = {
    **{name: (weight, {k: (P4 if k == "p" else v) for k, v in args.items()})
       for name, (weight, args) in ACTIONS.items()},
    "terminate": (3, {"p": P4, "removal": st.sampled_from((False, False, True)), "role": ROLE, "k": st.integers(0, 1),
                      "when": WHEN}),
    "reconnect": (3, {"p": P4, "k": K3, "when": WHEN}),
    "move_in_after_termination": (2, {"i": st.integers(0, 30), "k": K3, "on_end_date": st.sampled_from((False, True))}),
    "ampere_change": (2, {"p": P4, "role": ROLE, "k": st.integers(0, 1), "amps": st.sampled_from(AMPERES + (33,)),
                          "when": WHEN}),
    "customer_change": (2, {"p": P4, "role": ROLE, "k": st.integers(0, 1),
                            "variant": st.sampled_from(("phone", "name", "half")), "when": WHEN}),
    "correct": (4, {"i": st.integers(0, 30), "what": st.sampled_from(("date", "date", "toggle", "value", "foreign")),
                    "offset": st.integers(-1, 8), "other": st.sampled_from((False, False, False, True))}),
    "change_after_termination": (2, {"i": st.integers(0, 30), "ampere": st.booleans()}),
    "withdraw_move_out": (1, {"i": st.integers(0, 30)}),
    "withdraw_other_type": (2, {"i": st.integers(0, 30), "other": st.sampled_from((False, False, False, True))}),
}
NEW_STEP = st.one_of(*[st.tuples(st.just(name), st.fixed_dictionaries(args))
                       for name, (weight, args) in NEW_ACTIONS.items() for _ in range(weight)])

AREA_CHECKS = """SELECT
  (SELECT coalesce(jsonb_object_agg(application_no, stage), '{}') FROM applications) AS stages,
  (SELECT coalesce(jsonb_object_agg(spid, jsonb_build_array(contract_status, contract_current)), '{}')
     FROM supply_points WHERE spid = ANY(:spids)) AS points,
  (SELECT coalesce(jsonb_agg(jsonb_build_array(spid, retailer_code, valid_from, valid_to) ORDER BY spid, valid_from,
     id), '[]') FROM supply_periods WHERE spid = ANY(:spids)) AS periods,
  (SELECT coalesce(jsonb_agg(jsonb_build_array(spid, name_kanji) ORDER BY spid, id), '[]') FROM customer_periods
     WHERE spid = ANY(:spids) AND valid_to IS NULL) AS customers,
  (SELECT coalesce(jsonb_agg(jsonb_build_array(spid, grp)), '[]') FROM (SELECT spid, CASE WHEN type IN ('01', '02')
     THEN 'termination' ELSE type END AS grp FROM applications WHERE stage NOT IN ('06', '07', '08', '09')
     GROUP BY 1, 2 HAVING count(*) > 1) d) AS doubly_open,
  (SELECT coalesce(jsonb_agg(a.spid), '[]') FROM supply_periods a JOIN supply_periods b ON a.area = b.area
     AND a.spid = b.spid AND a.id < b.id
     AND daterange(a.valid_from, a.valid_to, '[]') && daterange(b.valid_from, b.valid_to, '[]')) AS overlapping,
  (SELECT coalesce(jsonb_agg(a.spid), '[]') FROM customer_periods a JOIN customer_periods b ON a.area = b.area
     AND a.spid = b.spid AND a.id < b.id AND daterange(a.valid_from, a.valid_to + 1) && daterange(b.valid_from,
     b.valid_to + 1)) AS customers_overlapping,
  (SELECT coalesce(jsonb_agg(jsonb_build_array(spid, valid_to, next_from)), '[]') FROM (SELECT spid, valid_to,
     lead(valid_from) OVER (PARTITION BY area, spid ORDER BY valid_from) AS next_from FROM supply_periods
     WHERE spid = ANY(:spids)) g WHERE next_from IS NOT NULL AND (valid_to IS NULL OR next_from > valid_to + 1))
     AS gaps,
  (SELECT coalesce(jsonb_agg(DISTINCT p.spid), '[]') FROM supply_points p JOIN supply_periods s ON s.area = p.area
     AND s.spid = p.spid WHERE p.spid = ANY(:spids) AND p.contract_status NOT IN ('1', '4')
     AND (s.valid_to IS NULL OR s.valid_to >= :d)) AS vacant_but_supplied,
  (SELECT coalesce(jsonb_agg(p.spid), '[]') FROM supply_points p WHERE p.spid = ANY(:spids)
     AND p.contract_status IN ('1', '4') AND NOT EXISTS (SELECT 1 FROM supply_periods s WHERE s.area = p.area
     AND s.spid = p.spid AND s.valid_from <= :d AND (s.valid_to IS NULL OR s.valid_to >= :d))) AS active_unsupplied,
  (SELECT coalesce(jsonb_agg(a.application_no), '[]') FROM applications a JOIN applications b
     ON b.application_no = a.matched_with WHERE b.matched_with <> a.application_no OR a.spid <> b.spid
     OR a.requested_date <> b.requested_date OR (a.stage IN ('05', '06') AND a.stage <> b.stage)) AS disagreeing,
  (SELECT coalesce(jsonb_agg(jsonb_build_array(application_no, from_stage, to_stage, seq, rule) ORDER BY seq), '[]')
     FROM application_changes WHERE seq > :after) AS changes"""


class ApplicationMachine(SwitchMachine):
    initial: dict = {}  # the points' state at the start, set by the test

    def make_model(self) -> SwitchModel:
        return ApplicationModel(self.codes, self.clock.today(), self.initial)

    @rule(step=NEW_STEP)
    def step(self, step):
        SwitchMachine.step(self, step)

    def needs(self) -> dict:
        return {**super().needs(), "correct": self.other_apps(), "withdraw_other_type": self.other_apps(),
                "move_in_after_termination": [a for a in self.other_apps() if a.type in TERMINATIONS],
                "change_after_termination": self.pending(TERMINATIONS), "withdraw_move_out": self.move_outs()}

    def pending(self, types: set[str]) -> list[XApp]:
        return [a for a in self.other_apps() if a.type in types and a.stage in LIVE]

    def move_outs(self) -> list[XApp]:
        """Pending terminations with a pending move-in after them."""
        return [t for t in self.pending(TERMINATIONS)
                if any(a.point == t.point for a in self.pending({RECONNECTION}))]

    def other_apps(self, live_only: bool = False) -> list[XApp]:
        return [a for a in self.model.apps.values() if a.type in OTHER_TYPES and (a.stage in LIVE or not live_only)]

    def acting(self, p: int, role: str, k: int) -> str:
        """The point's supplier (at a vacant point the one that supplied it last), or one of the others."""
        supplier = self.model.named_current(p)
        return supplier if role == "supplier" else [r for r in RETAILERS if r != supplier][k]

    # --- the other types -------------------------------------------------------------------------

    def do_file(self, kind: str, who: str, p: int, requested: date | None, body: dict, change: dict) -> None:
        m = self.model
        if requested is not None:
            body[DATE_FIELD[kind]] = requested.isoformat()
        expect, named, when = m.expect_file(kind, who, p, requested, change)
        r = self.call(who, "POST", f"/api/v1/applications/{PATH[kind]}", json={"spid": self.points[p], **body})
        answer = self.check_named(r, expect, named, f"{kind} by {who} at point {p} for {requested or 'default'}",
                                  f"file {kind}" + (" (at a vacant point)" if m.status[p] != "1" else ""))
        if expect.status != 201:
            return
        app = m.file_other(answer["application_no"], kind, who, p, when, change)
        got = (answer["type"], answer["spid"], answer["applicant_code"], answer["stage"], answer["requested_date"],
               answer["matching_deadline"], answer["switch_date"])
        want = (kind, self.points[p], who, app.stage, when.isoformat(), app.matching_deadline.isoformat(), None)
        assert got == want, (got, want)
        if kind == AMPERE:  # P6: the answer shows the value before the change
            assert answer["previous"] == {"contract_current": m.current[p]}, answer
        if kind == CUSTOMER:
            assert answer["previous"]["customer_name_kanji"] == m.customer[p], answer

    def check_named(self, r, expect: Expect, named: str | None, context: str, label: str) -> dict:
        body = check(r, expect, context, label)
        if expect.status == 409 and named is not None:  # the refusal names the conflicting application
            got = body.get("conflicting_application") or {}
            assert (got.get("application_no"), got.get("type")) == (named, self.model.apps[named].type), body
            assert named in body["detail"], body
        return body

    def date_of(self, kind: str, when: int | None) -> date | None:
        return None if when is None else self.model.earliest_for(kind) + timedelta(days=when)

    def terminate(self, p, removal, role, k, when):
        kind = REMOVAL if removal else TERMINATION
        body = {"remove_meter": True, **CONTACTS} if removal else {"reason_note": "転居"}
        self.do_file(kind, self.acting(p, role, k), p, self.date_of(kind, when), body, {})

    def reconnect(self, p, k, when):
        self.do_file(RECONNECTION, RETAILERS[k], p, self.date_of(RECONNECTION, when), dict(MOVER), {})

    def move_in_after_termination(self, i, k, on_end_date):
        """Targeted: move-out then move-in — a reconnection after a termination (pending or done), without a
        date (after the end date) or on the end date (refused while the termination is pending)."""
        terms = [a for a in self.other_apps() if a.type in TERMINATIONS]
        pool = [a for a in terms if a.stage in LIVE] or terms
        term = pool[i % len(pool)]
        requested = max(term.switch_date, self.model.earliest_for(RECONNECTION)) if on_end_date else None
        self.do_file(RECONNECTION, RETAILERS[k], term.point, requested, dict(MOVER), {})

    def change_after_termination(self, i, ampere):
        """Targeted: the supplier's ampere or customer change dated after its own pending termination
        (accepted: statechecks.md), which the termination's execution then makes impossible (09)."""
        terms = self.pending(TERMINATIONS)
        term = terms[i % len(terms)]
        kind = AMPERE if ampere else CUSTOMER
        # a week after the end date: the clock stops in between, so a rejection on the termination's date (and
        # not only on the change's own date, where it would meet the state checks anyway) is seen
        requested = max(term.switch_date + timedelta(days=7), self.model.earliest_for(kind))
        amps = next(a for a in (40, 50) if a != self.model.current[term.point])
        body, change = (({"contract_current": amps}, {"current": amps}) if ampere else
                        ({"customer_phone": "03-4444-5555"}, {}))
        self.do_file(kind, term.applicant, term.point, requested, body, change)

    def withdraw_move_out(self, i):
        """Targeted: the move-out is withdrawn while its move-in waits; the move-in is then refused on its
        date (the point is still supplied, 09)."""
        terms = self.move_outs()
        self.do_withdraw_application(terms[i % len(terms)], "applicant")

    def ampere_change(self, p, role, k, amps, when):
        self.do_file(AMPERE, self.acting(p, role, k), p, self.date_of(AMPERE, when), {"contract_current": amps},
                     {"current": amps})

    def customer_change(self, p, role, k, variant, when):
        body = {"phone": {"customer_phone": "03-9876-5432"},
                "name": {"customer_name_kana": RENAMED[0], "customer_name_kanji": RENAMED[1]},
                "half": {"customer_name_kana": RENAMED[0]}}[variant]
        self.do_file(CUSTOMER, self.acting(p, role, k), p, self.date_of(CUSTOMER, when), body,
                     {"name": variant == "name", "half": variant == "half"})

    def correct(self, i, what, offset, other):
        """Update flag 2: a new date, a termination with / without meter removal, a new value, or a field of
        another type — by the applicant, or by another retailer (not theirs: 404)."""
        m = self.model
        apps = self.other_apps()
        pool = [a for a in apps if a.stage in WAITING] or apps
        app = pool[i % len(pool)]
        who = [r for r in RETAILERS if r != app.applicant][offset % 2] if other else app.applicant
        kind, change, body, requested = app.type, dict(app.change), {}, app.switch_date
        if what == "foreign":
            body = {"switch_date": requested.isoformat()}  # a switch application's field
        elif what == "toggle" and kind in TERMINATIONS:
            kind = TERMINATION if kind == REMOVAL else REMOVAL
            body = {"remove_meter": kind == REMOVAL, **(CONTACTS if kind == REMOVAL else {})}
        elif what == "value" and kind == AMPERE:
            change = {"current": AMPERES[offset % len(AMPERES)]}
            body = {"contract_current": change["current"]}
        elif what == "value" and kind == CUSTOMER:
            change = {**change, "half": False}
            body = {"customer_phone": "03-5555-0000"}
        else:
            requested = m.earliest_for(kind) + timedelta(days=offset)
            body = {DATE_FIELD[kind]: requested.isoformat()}
        if who != app.applicant:
            expect, named = Expect(404, "not_found"), None  # security.md: not yours answers as not found
        elif what == "foreign":
            expect, named = Expect(422, field="switch_date", code="not_correctable"), None
        elif app.stage not in WAITING:  # only before the date is fixed (05)
            expect, named = Expect(409, "stage_transition_not_allowed"), None
        else:  # checked again as a new filing would be, itself excluded
            expect, named, _ = m.expect_file(kind, who, app.point, requested, change, exclude=app.no)
            expect = Expect(200) if expect.status == 201 else expect
        r = self.call(who, "PATCH", f"/api/v1/applications/{app.no}", json=body)
        answer = self.check_named(r, expect, named, f"correction {body} by {who} of {app}",
                                  f"correct {app.type} ({what}) at {app.stage}" + (" by another" if other else ""))
        if expect.status == 200:
            m.correct(app, kind, requested, change)
            got = (answer["type"], answer["stage"], answer["requested_date"], answer["matching_deadline"])
            assert got == (app.type, app.stage, app.switch_date.isoformat(), app.matching_deadline.isoformat()), (
                answer, app)

    def withdraw_other_type(self, i, other):
        apps = self.other_apps()
        pool = [a for a in apps if a.stage in LIVE] or apps
        app = pool[i % len(pool)]
        self.do_withdraw_application(app, "other" if other else "applicant")

    # --- invariants --------------------------------------------------------------------------------

    def snapshot(self) -> tuple:
        async def go():
            async with self.stack.hub_app.state.engine.connect() as hub:
                h = (await hub.execute(text(HUB_CHECKS))).one()
            async with self.stack.area_app.state.engine.connect() as area:
                a = (await area.execute(text(AREA_CHECKS), {"spids": self.points, "d": self.model.today,
                                                            "after": self.seen_seq})).one()
            return h, a

        return self.run(go())

    @invariant()
    def databases_equal_the_model_and_invariants_hold(self):
        m = self.model
        hub, area = self.snapshot()
        # The model, everywhere.
        assert hub.statuses == {no: r.status for no, r in m.relays.items()}, "relay statuses differ"
        assert area.stages == {no: a.stage for no, a in m.apps.items()}, "application stages differ"
        assert area.points == {s: [m.status[p], m.current[p]] for p, s in enumerate(self.points)}, (
            "contract status / current differ", area.points)
        want = sorted([s, *period] for p, s in enumerate(self.points) for period in m.periods[p])
        got = sorted([s, r, date.fromisoformat(f), date.fromisoformat(t) if t else None] for s, r, f, t in area.periods)
        assert got == want, ("supply periods differ", got, want)
        assert sorted(map(tuple, area.customers)) == sorted(
            (s, m.customer[p]) for p, s in enumerate(self.points) if m.customer[p] is not None), (
            "customers differ", area.customers)
        # The structural invariants.
        assert area.doubly_open == [], f"more than one open application of a group at {area.doubly_open}"
        assert area.overlapping == [], f"two suppliers on one day at {area.overlapping}"
        assert area.customers_overlapping == [], f"two customers on one day at {area.customers_overlapping}"
        gaps = {(self.points.index(s), date.fromisoformat(t) if t else None, date.fromisoformat(n))
                for s, t, n in area.gaps}
        assert gaps == m.vacancies, ("a gap in the supply history while 契約中", gaps, m.vacancies)
        assert area.vacant_but_supplied == [], f"vacant points with an open supply period: {area.vacant_but_supplied}"
        assert area.active_unsupplied == [], f"契約中 points without a supplier today: {area.active_unsupplied}"
        assert hub.doubly_open == [], f"more than one open relay (01/02) at {hub.doubly_open}"
        assert hub.without_reason == [], f"terminal relays without a reason: {hub.without_reason}"
        assert area.disagreeing == [], f"matched pairs that disagree: {area.disagreeing}"
        for no, frm, to, seq, rule_name in area.changes:
            assert frm == self.last_stage.get(no), (no, frm, self.last_stage.get(no))
            if frm is not None:
                assert frm not in ("06", "07", "08", "09"), (no, frm, to)
                assert RANK[to] >= RANK[frm] or rule_name == "correct", ("a stage went backwards", no, frm, to, rule_name)
            self.last_stage[no] = to
            self.seen_seq = max(self.seen_seq, seq)


def initial_state(world, points: list[str]) -> dict:
    url = area_template_url(world)
    out: dict = {"supplier": [], "status": [], "current": [], "customer": [], "periods": [], "gaps": set()}
    for p, spid in enumerate(points):
        status, current = execute(url, "SELECT contract_status, contract_current FROM supply_points WHERE spid = %s",
                                  (spid,))[0]
        periods = [list(r) for r in execute(url, "SELECT retailer_code, valid_from, valid_to FROM supply_periods"
                                                 " WHERE spid = %s ORDER BY valid_from, id", (spid,))]
        customer = execute(url, "SELECT name_kanji FROM customer_periods WHERE spid = %s AND valid_to IS NULL", (spid,))
        out["status"].append(status)
        out["current"].append(current)
        out["supplier"].append(next((r for r, _, t in periods if t is None), None))
        out["customer"].append(customer[0][0] if customer else None)
        out["periods"].append(periods)
        out["gaps"] |= {(p, a[2], b[1]) for a, b in zip(periods, periods[1:]) if b[1] > a[2] + timedelta(days=1)}
    return out


PROFILES = {"default": (12, 45), "long": (200, 80)}  # (max_examples, stateful_step_count)


def test_every_application_type_state_machine(world):
    points = [smart_point_of(world, "M0300", skip=30 + i) for i in range(3)] + [vacant(world)]
    codes = [execute(area_template_url(world), "SELECT reading_day_code FROM supply_points WHERE spid = %s",
                     (spid,))[0][0] for spid in points]
    initial = initial_state(world, points)
    assert initial["status"] == ["1", "1", "1", "2"] and initial["supplier"][3] is None, initial
    ApplicationMachine.points, ApplicationMachine.codes, ApplicationMachine.initial = points, codes, initial
    ApplicationMachine.world = world
    examples, steps = PROFILES[os.environ.get("SWITCHHUB_STATEFUL", "default")]
    phases = list(Phase) if os.environ.get("SWITCHHUB_SHRINK") else [p for p in Phase if p != Phase.shrink]
    ApplicationMachine.TestCase.settings = settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                                                    phases=phases, suppress_health_check=list(HealthCheck))
    OUTCOMES.clear()
    ApplicationMachine.TestCase().runTest()
    print("\n" + "\n".join(f"{n:5d}  {k}" for k, n in sorted(OUTCOMES.items())))
