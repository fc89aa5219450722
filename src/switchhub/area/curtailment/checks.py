"""Per-row checks of ingested curtailment events, with the Japanese per-row report (readings' Report).

A row is (spid, kind, starts_at, ends_at, reason, discount_rate) as text. The period is JST and in
whole half hours (curtailment is ordered per 30-minute slot, and the form's hours stay exact: x.0
or x.5); it ends after it starts and lasts at most 31 days. The discount rate is the percentage
of the point's curtailment contract, parsed with Decimal (never float): more than 0, at most 100,
at most 2 decimals. The checks that need the database (unknown point, point of another area) and
the same point and start twice in one file run in the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from switchhub.area.readings.checks import Report
from switchhub.kernel.clock import JST
from switchhub.kernel.spid import normalize_spid

KINDS = ("制限", "中止")
MAX_REASON = 100
MAX_LENGTH = timedelta(days=31)
_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class Event:
    row: int
    spid: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    discount_rate: Decimal


def _moment(text: str) -> datetime | None:
    """A JST wall-clock time on a half hour; "24:00" is not accepted (write the next day's 00:00)."""
    for fmt in _FORMATS:
        try:
            moment = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if moment.minute % 30 or moment.second:
            return None
        return moment.replace(tzinfo=JST)
    return None


def _rate(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value > 100 or value.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    return value


def parse_event(row: int, cells: list[str], report: Report) -> Event | None:
    """A well-formed event, or None with every problem of the row in `report`."""
    spid_text, kind, start_text, end_text, reason, rate_text = (c.strip() for c in cells)
    ok = True
    spid = normalize_spid(spid_text)
    if not (len(spid) == 22 and spid.isascii() and spid.isdigit()):
        report.add(row, "spid", "spid_format", f"供給地点特定番号は22桁の数字です（入力値: {spid_text[:30]}）",
                   "The supply point ID must be 22 digits")
        ok = False
    if kind not in KINDS:
        report.add(row, "kind", "kind", f"区分は「制限」または「中止」です（入力値: {kind[:10]}）",
                   "The kind is 制限 (curtailment) or 中止 (interruption)")
        ok = False
    starts, ends = _moment(start_text), _moment(end_text)
    for field, label, text, value in (("starts_at", "開始日時", start_text, starts), ("ends_at", "終了日時", end_text, ends)):
        if value is None:
            report.add(row, field, "datetime_format", f"{label}は YYYY-MM-DD HH:MM（30分単位）で指定してください"
                       f"（入力値: {text[:20]}）", f"{field} must be YYYY-MM-DD HH:MM on a half hour")
            ok = False
    if starts is not None and ends is not None:
        if ends <= starts:
            report.add(row, "ends_at", "period_order", "終了日時は開始日時より後にしてください",
                       "The end must be after the start")
            ok = False
        elif ends - starts > MAX_LENGTH:
            report.add(row, "ends_at", "period_length", "1件の制限・中止は31日以内です",
                       "One event lasts at most 31 days")
            ok = False
    if not reason or len(reason) > MAX_REASON:
        report.add(row, "reason", "reason", f"事由は1〜{MAX_REASON}文字で指定してください",
                   f"The reason has 1 to {MAX_REASON} characters")
        ok = False
    rate = _rate(rate_text)
    if rate is None:
        report.add(row, "discount_rate", "discount_rate", f"割引率は0より大きく100以下・小数点以下2桁までの数値です"
                   f"（入力値: {rate_text[:20]}）", "The discount rate is a number above 0, at most 100, 2 decimals")
        ok = False
    if not ok or starts is None or ends is None or rate is None:
        return None
    return Event(row, spid, kind, starts, ends, reason, rate)
