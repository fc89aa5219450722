"""The compact 30-minute day of the usage answer (`UsageDay`, docs/usage.md) and the hub's contract
check of a parsed answer (`answer_problems`): a conforming answer has 0 problems; each malformed day
is one problem, whatever is wrong with it. No database: the check runs on parsed JSON."""

from __future__ import annotations

import copy

import pytest

from switchhub.contract.usage import UsageDay, answer_problems, day_kwh, day_status

DAY = {"date": "2026-11-20", "kwh": ",".join(["0.1230"] * 47) + ",", "status": "0" * 47 + "9"}
ANSWER = {"spid": "0310000000000000000000", "interval_data": True, "period_start": "2025-01-01",
          "window_start": "2025-11-01", "withheld_before": None, "months": [], "days": [dict(DAY) for _ in range(30)]}


def test_a_conforming_answer_has_no_problem_and_its_days_split_back():
    assert answer_problems(ANSWER) == 0
    assert day_kwh(DAY) == ["0.1230"] * 47 + [None]
    assert day_status(DAY) == [0] * 47 + [9]
    assert UsageDay.model_validate(DAY).kwh == DAY["kwh"]  # the published pattern admits it too


@pytest.mark.parametrize("change", [
    {"x": 1},  # a key more
    {"kwh": ["0.1230"] * 48},  # the old form: a list
    {"kwh": ",".join(["0.1230"] * 47)},  # 47 fields
    {"kwh": ",".join(["1e-04"] + ["0.1230"] * 47)},  # not a decimal text
    {"kwh": ",".join(["-0.123"] + ["0.1230"] * 47)},  # a sign
    {"kwh": ",".join(["０.1230"] + ["0.1230"] * 47)},  # a full-width digit
    {"status": "0" * 49},
    {"status": "0" * 47 + "a"},
    {"status": [0] * 48},
    {"date": "2026-13-01"},
    {"date": 20261120},
    {"date": "2026-W47-1"},  # an ISO week date (date.fromisoformat takes it)
    {"date": "20261120--"},  # ten characters date.fromisoformat reads as 2026-11-20
    {"date": "2026-02-31"},  # the shape of a date, but none
    {"date": "2026-11-2０"},  # a full-width digit
    {"date": "2026-1-120"},  # hyphens elsewhere
], ids=lambda c: repr(c)[:40])
def test_each_malformed_day_is_one_problem(change):
    answer = copy.deepcopy(ANSWER)
    answer["days"][7].update(change)
    assert answer_problems(answer) == 1
    answer["days"][20].update(change)
    assert answer_problems(answer) == 2


def test_a_day_without_its_status_is_a_problem():
    answer = copy.deepcopy(ANSWER)
    del answer["days"][3]["status"]
    assert answer_problems(answer) == 1


def test_a_day_with_another_key_in_place_of_one_of_its_own_is_a_problem():
    answer = copy.deepcopy(ANSWER)
    del answer["days"][5]["status"]
    answer["days"][5]["statuses"] = "0" * 48  # still three keys
    assert answer_problems(answer) == 1


def test_fields_missing_on_one_day_and_extra_on_another_are_two_problems():
    """The totals of all days agree with 30 × 48 fields: each day counts on its own."""
    answer = copy.deepcopy(ANSWER)
    answer["days"][1]["kwh"] = ",".join(["0.1230"] * 47)
    answer["days"][2]["kwh"] = ",".join(["0.1230"] * 49)
    assert answer_problems(answer) == 2


def test_a_day_that_is_not_an_object_is_a_problem():
    answer = copy.deepcopy(ANSWER)
    answer["days"][9] = [DAY["date"], DAY["kwh"], DAY["status"]]
    assert answer_problems(answer) == 1
