"""Business days, reading-day calendars and lead times."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchhub.kernel import calendar as cal

days = st.dates(min_value=date(2016, 4, 1), max_value=date(2030, 12, 31))


def test_holidays_and_year_end():
    assert not cal.is_business_day(date(2026, 12, 29)) and not cal.is_business_day(date(2027, 1, 3))
    assert cal.is_business_day(date(2027, 1, 4))
    assert not cal.is_business_day(date(2026, 11, 23))  # 勤労感謝の日
    assert not cal.is_business_day(date(2026, 11, 21))  # Saturday
    assert not cal.is_business_day(date(2028, 8, 15), "04") and cal.is_business_day(date(2028, 8, 15), "03")


@given(d=days, n=st.integers(1, 30))
def test_add_business_days_lands_on_business_days_and_counts_back(d, n):
    out = cal.add_business_days(d, n)
    assert out > d and cal.is_business_day(out)
    assert cal.business_days_between(d, out) == n


def test_reading_codes_per_area_follow_the_sources():
    assert cal.valid_reading_codes("03")[:5] == ["01", "02", "03", "04", "08"] and len(cal.valid_reading_codes("03")) == 19
    assert "02" not in cal.valid_reading_codes("01") and len(cal.valid_reading_codes("01")) == 19
    assert cal.valid_reading_codes("02")[-1] == "17" and cal.valid_reading_codes("04").count("07") == 0
    assert len(cal.valid_reading_codes("06")) == 20


@given(area=st.sampled_from([f"{i:02d}" for i in range(1, 11)]), d=days, data=st.data())
def test_next_reading_dates_are_reading_days_in_order(area, d, data):
    code = data.draw(st.sampled_from(cal.valid_reading_codes(area)))
    first, second = cal.reading_dates_on_or_after(area, code, d, 2)
    assert d <= first < second
    assert (second.year, second.month) > (first.year, first.month)
    saturday_ok = cal.AREA_READING_CONFIG[area].saturdays
    for x in (first, second):
        assert cal.is_business_day(x, area) or (saturday_ok and x.weekday() == 5 and not cal.is_holiday(x, area))


def test_reading_calendar_year_has_twelve_months():
    year = cal.reading_calendar("03", 2027)
    assert [m["month"] for m in year] == list(range(1, 13))
    assert year[0]["dates"]["01"] == "2027-01-04"


def test_lead_times_default_date_and_matching_deadline():
    today = date(2026, 11, 24)  # Tuesday
    assert cal.earliest_switch_date("03", "low", False, today) == date(2026, 11, 27)
    assert cal.earliest_switch_date("03", "low", True, today) == date(2026, 12, 6)
    assert cal.earliest_switch_date("03", "high", False, today) == date(2026, 12, 4)
    d = cal.default_switch_date("03", "10", "low", False, today)
    assert d >= date(2026, 11, 27) and d in cal.reading_dates_on_or_after("03", "10", today, 3)


@given(d=days, meter=st.booleans(), channel=st.sampled_from(["low", "high", "low_fit"]))
def test_matching_deadline_is_the_last_day_that_still_reaches(d, meter, channel):
    deadline = cal.matching_deadline("03", channel, meter, d + timedelta(days=40))
    assert cal.earliest_switch_date("03", channel, meter, deadline) <= d + timedelta(days=40)
    assert cal.earliest_switch_date("03", channel, meter, deadline + timedelta(days=1)) > d + timedelta(days=40)


# --- business days -----------------------------------------------------------------------------

def test_n_zero_is_the_day_itself_and_next_business_day_skips_the_year_end():
    assert cal.add_business_days(date(2026, 12, 26), 0) == date(2026, 12, 26)
    assert cal.next_business_day(date(2026, 12, 28)) == date(2027, 1, 4)
    assert cal.next_business_day(date(2027, 1, 8)) == date(2027, 1, 12)  # 成人の日 on the 11th
    assert cal.next_business_day(date(2027, 8, 14), "04") == date(2027, 8, 16)
    assert cal.next_business_day(date(2028, 8, 14), "04") == date(2028, 8, 16)
    assert cal.next_business_day(date(2028, 8, 14), "03") == date(2028, 8, 15)


@given(d=days)
def test_year_end_days_are_holidays_everywhere(d):
    year_end = (d.month, d.day) in {(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)}
    if year_end:
        assert all(cal.is_holiday(d, a) and not cal.is_business_day(d, a) for a in ("01", "03", "04", None))
    if d.weekday() >= 5:
        assert not cal.is_business_day(d)


@given(d=days, n=st.integers(0, 15), m=st.integers(0, 15))
def test_add_business_days_composes(d, n, m):
    assert cal.add_business_days(cal.add_business_days(d, n), m) == cal.add_business_days(d, n + m)


@given(a=days, k=st.integers(0, 60))
def test_business_days_between_counts_half_open_interval(a, k):
    b = a + timedelta(days=k)
    expected = sum(cal.is_business_day(a + timedelta(days=i)) for i in range(1, k + 1))
    assert cal.business_days_between(a, b) == expected
    assert cal.business_days_between(b, a) == 0


# --- reading days ------------------------------------------------------------------------------

def test_reading_config_matches_processes_md():
    def unused(area):
        cfg = cal.AREA_READING_CONFIG[area]
        return cfg.last_code, sorted(cfg.unused)
    assert unused("01") == (23, [2, 7, 14, 21]) and unused("02") == (19, [18, 19])
    assert unused("03") == (26, [5, 6, 7, 13, 14, 20, 21]) and unused("04") == (19, [7, 14])
    assert all(unused(a) == (20, []) for a in ("05", "06", "07", "08", "09", "10"))
    assert {a for a, c in cal.AREA_READING_CONFIG.items() if c.saturdays} == {"01", "03"}


def test_short_month_falls_on_the_last_reading_day():
    assert len(cal._month_reading_days("06", 2027, 2)) == 18
    assert cal.reading_date("06", "20", 2027, 2) == cal.reading_date("06", "18", 2027, 2) == date(2027, 2, 26)
    assert cal.reading_date("03", "26", 2027, 2) == date(2027, 2, 27)  # Tokyo counts Saturdays


def test_saturdays_count_only_where_configured():
    assert cal.reading_date("03", "01", 2027, 5) == date(2027, 5, 1)  # Saturday
    assert cal.reading_date("06", "01", 2027, 5) == date(2027, 5, 6)  # after Golden Week


@pytest.mark.parametrize("area,code", [("03", "00"), ("03", "27"), ("03", "05"), ("01", "02"), ("06", "21"),
                                       ("06", "x")])
def test_unknown_or_unused_codes_are_refused(area, code):
    with pytest.raises(ValueError):
        cal.reading_date(area, code, 2027, 1)
    with pytest.raises(ValueError):
        cal.reading_dates_on_or_after(area, code, date(2027, 1, 1), 1)


def test_reading_dates_cross_the_year():
    assert cal.reading_dates_on_or_after("06", "15", date(2026, 12, 25), 3) == [
        date(2027, 1, 25), date(2027, 2, 22), date(2027, 3, 19)]
    assert cal.reading_dates_on_or_after("06", "15", date(2027, 1, 25), 1) == [date(2027, 1, 25)]


@given(area=st.sampled_from([f"{i:02d}" for i in range(1, 11)]), year=st.integers(2017, 2030), month=st.integers(1, 12))
def test_codes_are_ordered_within_a_month(area, year, month):
    dates = [cal.reading_date(area, c, year, month) for c in cal.valid_reading_codes(area)]
    assert dates == sorted(dates) and all(d.month == month for d in dates)


def test_reading_calendar_lists_every_valid_code_each_month():
    year = cal.reading_calendar("04", 2028)
    assert all(list(m["dates"]) == cal.valid_reading_codes("04") for m in year)
    assert "2028-08-15" not in year[7]["dates"].values()


# --- lead times --------------------------------------------------------------------------------

def test_lead_times_year_end_and_fit():
    friday = date(2026, 12, 25)
    assert cal.earliest_switch_date("03", "low", False, friday) == date(2026, 12, 30)
    assert cal.earliest_switch_date("03", "low_fit", False, friday) == date(2026, 12, 30)
    assert cal.earliest_switch_date("03", "high", True, friday) == cal.add_business_days(friday, 20)
    assert cal.matching_deadline("03", "low", False, date(2027, 1, 8)) == date(2027, 1, 5)


def test_lead_times_are_configurable():
    fast = cal.LeadTimes(low_business=0, low_calendar=1)
    assert cal.earliest_switch_date("07", "low", False, date(2027, 3, 1), fast) == date(2027, 3, 2)
    assert cal.DEFAULT_LEAD_TIMES == cal.LeadTimes()


@given(area=st.sampled_from(["01", "03", "04", "06"]), d=days, meter=st.booleans(),
       channel=st.sampled_from(["low", "high", "low_fit"]), data=st.data())
def test_default_switch_date_is_the_first_scheduled_reading_day_after_the_lead_time(area, d, meter, channel, data):
    code = data.draw(st.sampled_from(cal.valid_reading_codes(area)))
    earliest = cal.earliest_switch_date(area, channel, meter, d)
    chosen = cal.default_switch_date(area, code, channel, meter, d)
    assert chosen >= earliest > d
    assert cal.reading_date(area, code, chosen.year, chosen.month) == chosen
    prev = chosen.replace(day=1) - timedelta(days=1)
    assert cal.reading_date(area, code, prev.year, prev.month) < earliest  # nothing scheduled in between
    assert cal.matching_deadline(area, channel, meter, chosen) >= d


# --- clock -------------------------------------------------------------------------------------

def test_fixed_clock_moves_only_when_told_and_can_be_swapped_in():
    from datetime import datetime

    from switchhub.kernel.clock import JST, FixedClock, SystemClock, get_clock, set_clock

    clock = FixedClock(datetime(2027, 3, 31, 23, 30))
    assert clock.now().tzinfo is not None and clock.now().utcoffset() == timedelta(hours=9)
    clock.advance(minutes=45)
    assert clock.today() == date(2027, 4, 1)
    clock.set(datetime(2027, 1, 1, 0, 0, tzinfo=JST) - timedelta(hours=1))
    assert clock.today() == date(2026, 12, 31)
    previous = get_clock()
    try:
        set_clock(clock)
        assert get_clock() is clock
    finally:
        set_clock(previous)
    assert SystemClock().now().utcoffset() == timedelta(hours=9)


# processes.md P5/P6 lead times for the other application types, written from the spec
# (2026-11-24 is a Tuesday; 2026-11-23 Labour Thanksgiving Day; Dec 29 - Jan 3 closed).
from switchhub.kernel.calendar import date_fix_day, earliest_date  # noqa: E402


@pytest.mark.parametrize("kind, smart, today, expected", [
    ("termination", True, date(2026, 11, 24), date(2026, 11, 25)),  # next business day
    ("termination", False, date(2026, 11, 24), date(2026, 11, 25)),
    ("termination_removal", True, date(2026, 11, 24), date(2026, 11, 27)),  # 3 business days
    ("reconnection", True, date(2026, 11, 24), date(2026, 11, 25)),  # remotely switchable smart meter
    ("reconnection", False, date(2026, 11, 24), date(2026, 11, 27)),
    ("ampere_change", True, date(2026, 11, 27), date(2026, 11, 30)),  # Friday → Monday
    ("ampere_change", False, date(2026, 11, 27), date(2026, 12, 2)),
    ("customer_change", True, date(2026, 11, 20), date(2026, 11, 24)),  # Fri → Tue over the holiday Monday
    ("termination", True, date(2026, 12, 28), date(2027, 1, 4)),  # over the year-end closure
])
def test_earliest_dates_of_the_other_types(kind, smart, today, expected):
    assert earliest_date(kind, smart, today) == expected


def test_the_date_is_fixed_after_the_last_day_a_new_filing_could_take_it():
    assert date_fix_day("termination_removal", True, date(2026, 11, 27)) == date(2026, 11, 24)
    assert date_fix_day("termination", True, date(2026, 11, 30)) == date(2026, 11, 29)  # Sunday: Monday is next
    assert date_fix_day("reconnection", False, date(2026, 12, 4)) == date(2026, 12, 1)
