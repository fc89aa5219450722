"""Business days, reading-day calendars and lead times."""

from __future__ import annotations

from datetime import date, timedelta

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
