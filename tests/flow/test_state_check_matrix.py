"""異動並びチェック: every ordered pair of application types × the first application's stage, through
the HTTP API, against outcomes written here from processes.md "State checks" (and the order of the
checks decided in docs/state-checks.md).

Each case uses its own supply point of one shared stack: the first application is filed (and, for
the "withdrawn" stage, withdrawn; for "matched", paired), then the second is filed and its answer
compared with the table. A refusal must name the conflicting application (number, type, received
date) when there is one.
"""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from tests.flow.helpers import frozen
from tests.hub.helpers import area_template_url
from tests.support import build_stack, close_stack, execute

NOW = datetime(2026, 11, 24, 10, 0)  # Tuesday; JST
TODAY = NOW.date().isoformat()
SUPPLIER, NEW, OTHER = "M0300", "A0001", "A0002"
ACCEPTED = "accepted"

CUSTOMER = {"service_menu": "01", "capacity_method": "1", "contract_current": 30,
            "customer_name_kana": "ヤマダ タロウ", "customer_name_kanji": "山田 太郎",
            "customer_phone": "090-1234-5678", "consent": True}

# (API kind, who files it, body without spid) for each type as the second (or first) application
FILINGS: dict[str, tuple[str, str, dict]] = {
    "01": ("termination", SUPPLIER, {"remove_meter": False}),
    "02": ("termination", SUPPLIER, {"remove_meter": True, "contact_name": "現地 太郎",
                                     "contact_phone": "03-1234-5678"}),
    "03": ("switch-end", SUPPLIER, {}),
    "04": ("reconnection", NEW, dict(CUSTOMER)),
    "05": ("switch-start", NEW, dict(CUSTOMER)),
    "05other": ("switch-start", OTHER, dict(CUSTOMER)),
    "06": ("ampere-change", SUPPLIER, {"contract_current": 40}),
    "07": ("customer-change", SUPPLIER, {"customer_phone": "03-9876-5432"}),
}
SECONDS = list(FILINGS)

C_TERM, C_SWITCH, C_OTHER_SW, C_SAME = "termination_pending", "switch_pending", "other_switch_pending", \
    "conflicting_application"
C_STATUS, C_SUPPLIER = "contract_status", "not_current_supplier"

# Second application at an ACTIVE point supplied by M0300 while the first is open (processes.md):
OPEN_ACTIVE: dict[str, dict[str, str]] = {
    #          01        02        03         04         05         05other     06        07
    "01": {"01": C_SAME, "02": C_SAME, "03": C_TERM, "04": C_TERM, "05": C_TERM, "05other": C_TERM,
           "06": ACCEPTED, "07": ACCEPTED},
    "02": {"01": C_SAME, "02": C_SAME, "03": C_TERM, "04": C_TERM, "05": C_TERM, "05other": C_TERM,
           "06": ACCEPTED, "07": ACCEPTED},
    "03": {"01": C_SWITCH, "02": C_SWITCH, "03": C_SAME, "04": C_STATUS, "05": ACCEPTED, "05other": ACCEPTED,
           "06": ACCEPTED, "07": ACCEPTED},
    "05": {"01": C_SWITCH, "02": C_SWITCH, "03": ACCEPTED, "04": C_STATUS, "05": C_SAME, "05other": C_OTHER_SW,
           "06": ACCEPTED, "07": ACCEPTED},
    "06": {"01": ACCEPTED, "02": ACCEPTED, "03": ACCEPTED, "04": C_STATUS, "05": ACCEPTED, "05other": ACCEPTED,
           "06": C_SAME, "07": ACCEPTED},
    "07": {"01": ACCEPTED, "02": ACCEPTED, "03": ACCEPTED, "04": C_STATUS, "05": ACCEPTED, "05other": ACCEPTED,
           "06": ACCEPTED, "07": C_SAME},
}
# ... while the switch pair (03 + 05 of the same date) is matched: locked, one pair per point
MATCHED_PAIR = {"01": C_SWITCH, "02": C_SWITCH, "03": C_SAME, "04": C_STATUS, "05": C_SAME,
                "05other": C_OTHER_SW, "06": ACCEPTED, "07": ACCEPTED}
# ... when the first was withdrawn (terminal applications never conflict): as on an untouched point
UNTOUCHED_ACTIVE = {"01": ACCEPTED, "02": ACCEPTED, "03": ACCEPTED, "04": C_STATUS, "05": ACCEPTED,
                    "05other": ACCEPTED, "06": ACCEPTED, "07": ACCEPTED}
# Second application at a VACANT point (廃止中, no supplier) while a reconnection by A0001 is open:
# the applicant of a pending reconnection is not yet the supplier
OPEN_VACANT_04 = {"01": C_SUPPLIER, "02": C_SUPPLIER, "03": C_SUPPLIER, "04": C_SAME, "05": C_STATUS,
                  "05other": C_STATUS, "06": C_SUPPLIER, "07": C_SUPPLIER}
UNTOUCHED_VACANT = {"01": C_SUPPLIER, "02": C_SUPPLIER, "03": C_SUPPLIER, "04": ACCEPTED, "05": C_STATUS,
                    "05other": C_STATUS, "06": C_SUPPLIER, "07": C_SUPPLIER}

# the reconnection second at a vacant point is filed by OTHER (A0002) so that "04 while 04" is two movers
VACANT_FILERS = {"01": NEW, "02": NEW, "03": NEW, "06": NEW, "07": NEW, "04": OTHER}

CASES: list[tuple[str, str, str, str]] = []  # (point kind, first type, first stage, second key)
for first in OPEN_ACTIVE:
    for second in SECONDS:
        CASES.append(("active", first, "open", second))
        CASES.append(("active", first, "withdrawn", second))
for second in SECONDS:
    CASES.append(("active", "03+05", "matched", second))
    CASES.append(("vacant", "04", "open", second))
    CASES.append(("vacant", "04", "withdrawn", second))


def expected(point: str, first: str, stage: str, second: str) -> str:
    if point == "vacant":
        return OPEN_VACANT_04[second] if stage == "open" else UNTOUCHED_VACANT[second]
    if stage == "matched":
        return MATCHED_PAIR[second]
    if stage == "withdrawn":
        return UNTOUCHED_ACTIVE[second]
    return OPEN_ACTIVE[first][second]


def _points(world, vacant: bool, n: int) -> list[str]:
    """Active: smart, アンペアブレーカ, supplied by M0300 in area 03. Vacant: 廃止中 in any area (the
    movers A0001/A0002 are registered in every area)."""
    where = ("p.contract_status = '2'" if vacant else
             "p.area = '03' AND p.contract_status = '1' AND p.capacity_method = '1'"
             " AND p.meters @> '[{\"smart\": true}]' AND EXISTS (SELECT 1 FROM supply_periods s"
             " WHERE s.area = p.area AND s.spid = p.spid AND s.valid_to IS NULL AND s.retailer_code = 'M0300')")
    rows = execute(area_template_url(world),
                   f"SELECT p.spid FROM supply_points p WHERE p.channel = 'low' AND {where} ORDER BY p.spid LIMIT %s",
                   (n,))
    found = [r[0] for r in rows]
    assert len(found) == n, f"the test data has {len(found)} such points, the matrix needs {n}"
    return found


EXTRA_ACTIVE = 2  # the move-out/move-in tests below


@pytest.fixture(scope="module")
async def matrix(world):
    stack = build_stack(world)
    active = iter(_points(world, False, sum(1 for c in CASES if c[0] == "active") + EXTRA_ACTIVE))
    vacant = iter(_points(world, True, sum(1 for c in CASES if c[0] == "vacant")))
    yield stack, active, vacant
    await close_stack(stack)


async def _file(stack, key: str, spid: str, filer: str | None = None, **over) -> dict:
    kind, who, body = FILINGS[key]
    async with stack.client(filer or who) as c:
        r = await c.post(f"/api/v1/applications/{kind}", json={"spid": spid, **body, **over})
    return {"status": r.status_code, "body": r.json()}


async def _withdraw(stack, filer: str, application_no: str) -> None:
    async with stack.client(filer) as c:
        r = await c.post(f"/api/v1/applications/{application_no}:withdraw", json={"reason": "需要者の申出"})
    assert r.status_code == 200 and r.json()["stage"] == "07", r.text


@pytest.mark.parametrize(("point", "first", "stage", "second"), CASES,
                         ids=[f"{p}-{f}-{s}-then-{n}" for p, f, s, n in CASES])
async def test_second_application(matrix, point, first, stage, second):
    stack, active, vacant = matrix
    spid = next(vacant if point == "vacant" else active)
    with frozen(NOW):
        firsts: list[dict] = []
        if first == "03+05":
            start = await _file(stack, "05", spid)
            assert start["status"] == 201, start
            end = await _file(stack, "03", spid, switch_date=start["body"]["switch_date"])
            assert end["status"] == 201 and end["body"]["stage"] == "05", end
            firsts = [start["body"], end["body"]]
        else:
            one = await _file(stack, first, spid)
            assert one["status"] == 201, one
            assert one["body"]["type"] == first and one["body"]["stage"] not in ("06", "07", "08", "09"), one
            firsts = [one["body"]]
            if stage == "withdrawn":
                await _withdraw(stack, FILINGS[first][1], one["body"]["application_no"])
        filer = VACANT_FILERS.get(second) if point == "vacant" else None
        got = await _file(stack, second, spid, filer)
    want = expected(point, first, stage, second)
    if want == ACCEPTED:
        assert got["status"] == 201, got
        assert got["body"]["type"] == second[:2]
        return
    assert (got["status"], got["body"].get("code")) == (409, want), got
    conflicting = got["body"].get("conflicting_application")
    if want in (C_STATUS, C_SUPPLIER):
        return  # these name the point's state, not another application
    assert conflicting is not None, got
    assert conflicting["application_no"] in {f["application_no"] for f in firsts}
    named = next(f for f in firsts if f["application_no"] == conflicting["application_no"])
    assert conflicting["type"] == named["type"] and conflicting["received_date"] == TODAY
    assert named["application_no"] in got["body"]["detail"] and TODAY in got["body"]["detail"]


async def test_reconnection_only_after_the_pending_termination_date(matrix):
    """Move-out then move-in: a 04 whose start date is after the pending termination's end date is
    accepted; one starting on the end date is refused, naming the termination."""
    stack, active, _ = matrix
    before, after = next(active), next(active)
    with frozen(NOW):
        for spid in (before, after):
            term = await _file(stack, "01", spid, end_date="2026-12-01")
            assert term["status"] == 201, term
        refused = await _file(stack, "04", before, start_date="2026-12-01")
        accepted = await _file(stack, "04", after, start_date="2026-12-08")
    assert (refused["status"], refused["body"]["code"]) == (409, C_TERM), refused
    assert refused["body"]["conflicting_application"]["type"] == "01"
    assert accepted["status"] == 201 and accepted["body"]["type"] == "04", accepted


def test_the_matrix_covers_every_ordered_pair():
    types = {k for k in OPEN_ACTIVE} | {"04"}
    pairs = {(f, second[:2]) for _, first, _, second in CASES for f in first.split("+")}
    assert {(a, b) for a, b in itertools.product(sorted(types), sorted(types))} <= pairs
