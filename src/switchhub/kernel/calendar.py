"""The business calendar, reading-day calendars per area, and lead times (processes.md).

Everything that counts business days goes through this module; nothing else may add
days by hand.

* Business day: Monday–Friday, not a national holiday (jpholiday), not 29 Dec – 3 Jan,
  and not an area holiday (Chubu keeps 15 August).
* Reading day code *c* = the *c*-th reading day of the month. Reading days are business
  days; Hokkaido and Tokyo also count non-holiday Saturdays (their code ranges, 23 and
  26, exceed the number of weekdays in a month). If a month has fewer reading days than
  *c*, the code falls on the month's last reading day (decision).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import jpholiday

AREA_HOLIDAYS: dict[str, tuple[tuple[int, int], ...]] = {"04": ((8, 15),)}


@dataclass(frozen=True)
class ReadingConfig:
    last_code: int
    unused: frozenset[int]
    saturdays: bool


AREA_READING_CONFIG: dict[str, ReadingConfig] = {
    "01": ReadingConfig(23, frozenset({2, 7, 14, 21}), True),
    "02": ReadingConfig(19, frozenset({18, 19}), False),
    "03": ReadingConfig(26, frozenset({5, 6, 7, 13, 14, 20, 21}), True),
    "04": ReadingConfig(19, frozenset({7, 14}), False),
    **{a: ReadingConfig(20, frozenset(), False) for a in ("05", "06", "07", "08", "09", "10")},
}


@lru_cache(maxsize=8192)
def is_holiday(d: date, area: str | None = None) -> bool:
    if (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3):
        return True
    if area and (d.month, d.day) in AREA_HOLIDAYS.get(area, ()):
        return True
    return jpholiday.is_holiday(d)


def is_business_day(d: date, area: str | None = None) -> bool:
    return d.weekday() < 5 and not is_holiday(d, area)


def add_business_days(d: date, n: int, area: str | None = None) -> date:
    """The n-th business day after d (n = 0 gives d itself)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    current = d
    while n > 0:
        current += timedelta(days=1)
        if is_business_day(current, area):
            n -= 1
    return current


def next_business_day(d: date, area: str | None = None) -> date:
    return add_business_days(d, 1, area)


def business_days_between(a: date, b: date, area: str | None = None) -> int:
    """Business days in (a, b]."""
    count, current = 0, a
    while current < b:
        current += timedelta(days=1)
        if is_business_day(current, area):
            count += 1
    return count


def _is_reading_day(d: date, area: str) -> bool:
    cfg = AREA_READING_CONFIG[area]
    if d.weekday() == 5 and cfg.saturdays:
        return not is_holiday(d, area)
    return is_business_day(d, area)


@lru_cache(maxsize=4096)
def _month_reading_days(area: str, year: int, month: int) -> tuple[date, ...]:
    d = date(year, month, 1)
    days = []
    while d.month == month:
        if _is_reading_day(d, area):
            days.append(d)
        d += timedelta(days=1)
    return tuple(days)


def valid_reading_codes(area: str) -> list[str]:
    cfg = AREA_READING_CONFIG[area]
    return [f"{c:02d}" for c in range(1, cfg.last_code + 1) if c not in cfg.unused]


def _code_number(area: str, code: str) -> int:
    """Reject unknown and unused codes: a silent fallback would schedule a switch on a wrong day."""
    if code not in valid_reading_codes(area):
        raise ValueError(f"reading-day code {code!r} is not used in area {area}")
    return int(code)


def reading_date(area: str, code: str, year: int, month: int) -> date:
    """The code's reading day in that month (the last reading day if the month runs short)."""
    days = _month_reading_days(area, year, month)
    return days[min(_code_number(area, code), len(days)) - 1]


def reading_dates_on_or_after(area: str, code: str, start: date, count: int) -> list[date]:
    """The next `count` scheduled reading days of `code` on or after `start`."""
    _code_number(area, code)
    out: list[date] = []
    year, month = start.year, start.month
    while len(out) < count:
        d = reading_date(area, code, year, month)
        if d >= start:
            out.append(d)
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def reading_calendar(area: str, year: int) -> list[dict]:
    codes = valid_reading_codes(area)
    return [{"month": m, "dates": {c: reading_date(area, c, year, m).isoformat() for c in codes}}
            for m in range(1, 13)]


@dataclass(frozen=True)
class LeadTimes:
    """標準処理期間 (source: Chugoku T&D), business days + calendar days after matching."""

    low_business: int = 1
    low_calendar: int = 2
    low_meter_business: int = 8
    low_meter_calendar: int = 2
    high_business: int = 8
    high_meter_business: int = 20


DEFAULT_LEAD_TIMES = LeadTimes()
AREA_LEAD_TIMES: dict[str, LeadTimes] = {}


def earliest_switch_date(area: str, channel: str, meter_work: bool, today: date,
                         lead_times: LeadTimes | None = None) -> date:
    lt = lead_times or AREA_LEAD_TIMES.get(area, DEFAULT_LEAD_TIMES)
    if channel == "high":
        return add_business_days(today, lt.high_meter_business if meter_work else lt.high_business, area)
    if meter_work:
        return add_business_days(today, lt.low_meter_business, area) + timedelta(days=lt.low_meter_calendar)
    return add_business_days(today, lt.low_business, area) + timedelta(days=lt.low_calendar)


def default_switch_date(area: str, reading_code: str, channel: str, meter_work: bool, today: date,
                        lead_times: LeadTimes | None = None) -> date:
    """First scheduled reading day on or after the earliest allowed date."""
    earliest = earliest_switch_date(area, channel, meter_work, today, lead_times)
    return reading_dates_on_or_after(area, reading_code, earliest, 1)[0]


def matching_deadline(area: str, channel: str, meter_work: bool, switch_date: date,
                      lead_times: LeadTimes | None = None) -> date:
    """The last day d on which the lead time from d still reaches the switch date.

    earliest_switch_date is monotonic in `today`, so walk back from the switch date.
    """
    d = switch_date
    while earliest_switch_date(area, channel, meter_work, d, lead_times) > switch_date:
        d -= timedelta(days=1)
    return d


#: Lead times of the applications other than switching, in business days from today: (with a
#: smart meter, without). processes.md P5/P6: termination ≥ next business day, with meter removal
#: ≥ 3 business days; reconnection ≥ next business day with a remotely switchable smart meter,
#: else ≥ 3; ampere change likewise (a smart meter sets the current limit remotely). Decision:
#: a customer change (name, phone) needs no site work, so ≥ next business day; the same on
#: every channel.
APPLICATION_LEAD_DAYS: dict[str, tuple[int, int]] = {
    "termination": (1, 1),
    "termination_removal": (3, 3),
    "reconnection": (1, 3),
    "ampere_change": (1, 3),
    "customer_change": (1, 1),
}


def earliest_date(kind: str, smart: bool, today: date, area: str | None = None) -> date:
    """The earliest allowed date of a termination, reconnection, ampere or customer change filed today."""
    with_smart, without = APPLICATION_LEAD_DAYS[kind]
    return add_business_days(today, with_smart if smart else without, area)


def date_fix_day(kind: str, smart: bool, on: date, area: str | None = None) -> date:
    """The last day on which a new filing for `on` would still be accepted: the application's date
    is fixed (stage 05) at the end of that day, so corrections are possible until then."""
    d = on
    while earliest_date(kind, smart, d, area) > on:
        d -= timedelta(days=1)
    return d
