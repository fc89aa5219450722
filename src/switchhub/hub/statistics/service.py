"""Statistics (processes.md P9; the original published them weekly): per area and month or ISO week
(JST) — applications by type (switch-starts 05, reconnections 04, the other types each), relays by
the status they reached, lookups of supply points and usage inquiries answered.

The figures are computed by SQL into the `statistics` table by the keyed refresh job
(`tasks.py`: the open and the previous period, once an hour); reads only read that table.
Everyone with the permission sees all areas (the original published them).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.hub.accounts import permissions
from switchhub.hub.statistics import repository
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import JST
from switchhub.kernel.codes import ApplicationType, Area, RelayStatus
from switchhub.kernel.errors import IssueCollector

READ = "hub:statistics:read"
PERIODS = ("month", "week")
MAX_PERIODS = 60
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)  # the range a filter may name
#: the audit actions counted (both channels): a lookup counts each point answered
LOOKUP_ACTIONS = [f"{c}.supply_point.{a}" for c in ("api", "web") for a in ("lookup", "batch_get")]
INQUIRY_ACTIONS = ["api.usage.query", "web.usage.query"]
#: the metrics in column order: applications by type, relays by status reached, lookups, inquiries
METRICS: list[str] = ([f"application:{t.value}" for t in ApplicationType] + [f"relay:{s.value}" for s in RelayStatus]
                      + ["lookup", "usage_inquiry"])


def metric_label(metric: str, lang: str = "ja") -> str:
    kind, _, code = metric.partition(":")
    if kind == "application":
        return ApplicationType(code).label(lang)
    if kind == "relay":
        return ("廃止取次 " if lang != "en" else "Relays ") + RelayStatus(code).label(lang)
    return {"lookup": ("設備情報照会", "Lookups"), "usage_inquiry": ("使用量照会", "Usage inquiries")}[metric][
        1 if lang == "en" else 0]


def period_start(kind: str, d: date) -> date:
    return d.replace(day=1) if kind == "month" else d - timedelta(days=d.weekday())


def next_period(kind: str, start: date) -> date:
    if kind == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def previous_period(kind: str, start: date) -> date:
    return period_start(kind, start - timedelta(days=1))


def bounds(kind: str, start: date) -> tuple[datetime, datetime]:
    """A period as the instants of its JST midnights (half-open)."""
    return (datetime.combine(start, time(), JST), datetime.combine(next_period(kind, start), time(), JST))


async def refresh(conn: AsyncConnection, kind: str, start: date, now: datetime) -> int:
    lo, hi = bounds(kind, start)
    return await repository.refresh_period(conn, kind=kind, start=start, lo=lo, hi=hi, lookups=LOOKUP_ACTIONS,
                                           inquiries=INQUIRY_ACTIONS, now=now)


@dataclass(frozen=True)
class StatisticsQuery:
    period: str
    first: date
    last: date
    area: str | None


def parse_query(raw: dict[str, str], today: date) -> StatisticsQuery:
    """The filters of the API and the page (field-level errors); by default the last 12 periods."""
    issues = IssueCollector()
    period = raw.get("period") or "month"
    if period not in PERIODS:
        issues.add("period", "period", "集計単位は month（月）または week（週）です", "period is month or week")
        period = "month"
    dates: dict[str, date | None] = {}
    for name in ("from", "to"):
        try:
            dates[name] = date.fromisoformat(raw[name]) if raw.get(name) else None
        except ValueError:
            dates[name] = None
            issues.add(name, "date_format", "日付は YYYY-MM-DD 形式で入力してください", "Dates are YYYY-MM-DD")
        if dates[name] is not None and not EARLIEST <= dates[name] <= LATEST:
            dates[name] = None
            issues.add(name, "date_range", "日付は 2000-01-01〜2100-12-31 の範囲で入力してください",
                       "Dates are from 2000-01-01 to 2100-12-31")
    area = raw.get("area") or None
    if area is not None and area not in {a.value for a in Area}:
        issues.add("area", "area", "エリアは 01〜10 で指定してください", "area is 01 to 10")
    last = period_start(period, dates["to"] or today)
    first = period_start(period, dates["from"]) if dates["from"] else last
    if not dates["from"]:
        for _ in range(11):
            first = previous_period(period, first)
    if first > last:
        issues.add("from", "range", "開始は終了以前の日付にしてください", "from must not be after to")
    elif len(periods_between(period, first, last, MAX_PERIODS + 1)) > MAX_PERIODS:
        issues.add("from", "range", f"一度に表示できるのは {MAX_PERIODS} 期間までです",
                   f"At most {MAX_PERIODS} periods at a time")
    issues.raise_if_any()
    return StatisticsQuery(period, first, last, area)


def periods_between(kind: str, first: date, last: date, cap: int = MAX_PERIODS) -> list[date]:
    out, d = [], first
    while d <= last and len(out) < cap:
        out.append(d)
        d = next_period(kind, d)
    return out


async def read(conn: AsyncConnection, caller: Caller, q: StatisticsQuery) -> dict[str, Any]:
    """Rows per period and area (every period and area of the range, zeros included), in METRICS order."""
    permissions.check(caller, READ)
    stored = await repository.figures(conn, kind=q.period, first=q.first, last=q.last, area=q.area)
    found = {(r["period_start"], r["area"], r["metric"]): int(r["value"]) for r in stored}
    areas = [q.area] if q.area else [a.value for a in Area]
    items = [{"period_start": p.isoformat(), "area": a,
              "values": {m: found.get((p, a, m), 0) for m in METRICS}}
             for p in periods_between(q.period, q.first, q.last) for a in areas]
    refreshed = await repository.last_refreshed(conn, q.period)
    return {"period": q.period, "from": q.first.isoformat(), "to": q.last.isoformat(), "metrics": METRICS,
            "refreshed_at": refreshed.isoformat() if refreshed else None, "items": items}


def to_csv(result: dict[str, Any], lang: str = "ja") -> bytes:
    """UTF-8 with a byte-order mark (Excel reads it; every character is also in CP932)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    head = ["期間開始", "エリア"] if lang != "en" else ["period_start", "area"]
    w.writerow(head + [metric_label(m, lang) for m in result["metrics"]])
    for item in result["items"]:
        w.writerow([item["period_start"], item["area"]] + [item["values"][m] for m in result["metrics"]])
    return buf.getvalue().encode("utf-8-sig")
