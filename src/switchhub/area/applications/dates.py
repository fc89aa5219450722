"""The date of an application: default when omitted, refusal when too early (processes.md P4–P6).

Switching uses the lead time to the switch date and the point's scheduled reading days; the
other types use `kernel.calendar.earliest_date` by their date rule. A date before the earliest
allowed one is a 422 on the date field whose message gives the earliest allowed date.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from switchhub.kernel import calendar as cal
from switchhub.kernel.codes import RejectionReason
from switchhub.kernel.errors import InputError

FIELD_NAMES = {"switch_date": "スイッチング予定日", "end_date": "廃止日", "start_date": "再点日",
               "effective_date": "変更日"}


def earliest(rule: str | None, area: str, point: dict[str, Any], meter_work: bool, today: date) -> date:
    if rule is None:
        return cal.earliest_switch_date(area, point["channel"], meter_work, today)
    return cal.earliest_date(rule, point["smart"], today, area)


def default(rule: str | None, area: str, point: dict[str, Any], meter_work: bool, today: date,
            not_before: date | None = None) -> date:
    """The date of an application filed without one: the earliest allowed (switching: the first
    scheduled reading day on or after it); `not_before` moves it later (a move-in after a move-out)."""
    first = earliest(rule, area, point, meter_work, today)
    if not_before is not None and not_before > first:
        first = not_before
    if rule is None:
        return cal.reading_dates_on_or_after(area, point["reading_day_code"], first, 1)[0]
    return first


def check(rule: str | None, field: str, area: str, point: dict[str, Any], meter_work: bool, requested: date,
          customer_request: bool, today: date) -> None:
    """Refuse a requested date before the earliest allowed one (and, for switching, off a reading day
    unless the customer asked for it)."""
    first = earliest(rule, area, point, meter_work, today)
    label = FIELD_NAMES.get(field, field)
    if requested < first:
        raise InputError.single(field, RejectionReason.DATE_TOO_EARLY.value,
                                f"{label} {requested} は受付できません。最短の受付可能日は {first} です",
                                f"The {field} {requested} is too early; the earliest allowed date is {first}")
    if rule is not None:
        return
    scheduled = cal.reading_dates_on_or_after(area, point["reading_day_code"], requested, 1)[0]
    if scheduled != requested and not customer_request:
        raise InputError.single(field, "not_reading_day",
                                f"{requested} は定例検針日ではありません（次の定例検針日は {scheduled}）。"
                                "定例検針日以外を希望する場合は customer_request を指定してください",
                                f"{requested} is not a scheduled reading day (next: {scheduled}); set customer_request")


def fix_day(rule: str | None, area: str, point_channel: str, smart: bool, meter_work: bool, on: date) -> date:
    """The last day before the date is fixed (stage 05): for switching, the matching deadline."""
    if rule is None:
        return cal.matching_deadline(area, point_channel, meter_work, on)
    return cal.date_fix_day(rule, smart, on, area)


def day_before(d: date) -> date:
    return d - timedelta(days=1)


def day_after(d: date) -> date:
    return d + timedelta(days=1)
