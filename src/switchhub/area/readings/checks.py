"""Per-row checks of ingested 30-minute readings, with the Japanese per-row report (row, field, message).

A row is (row number, spid, date, slot, kWh, status) as text. kWh is parsed with Decimal (never
float): 0 or more, at most 4 decimals and 6 integer digits (decimal(10,4)). The format checks run
here per row; the checks that need every row or the database (unknown point, point of another
area, the same slot twice) run in SQL on the staged rows. The report keeps the first MAX_PROBLEMS
problems by row and counts the rest, so a file of millions of bad rows still answers briefly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from switchhub.kernel.errors import InputError, IssueCollector
from switchhub.kernel.spid import normalize_spid

SLOTS = 48
MAX_PROBLEMS = 1000
MAX_KWH = Decimal("999999.9999")


@dataclass(frozen=True)
class RawRow:
    row: int
    spid: str
    date: str
    slot: str
    kwh: str
    status: str


class Report:
    """Problems by row: the API answers them as field issues `rows[n].field`, the CLI prints them."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.problems: list[tuple[int, str, str, str, str]] = []  # row, field, code, ja, en
        self.limit = limit
        self.total = 0
        self._kept_here = 0

    def add(self, row: int, field: str, code: str, ja: str, en: str) -> None:
        """A problem of the per-row checks. They arrive in row order, as do the SQL checks' (each
        returns its first `limit` by row), so keeping each source's first `limit` keeps the
        file's first `limit` overall once sorted."""
        self.total += 1
        if self._kept_here < self.limit:
            self._kept_here += 1
            self.problems.append((row, field, code, ja, en))

    def add_checked(self, row: int, field: str, code: str, ja: str, en: str) -> None:
        """A problem an SQL check returned (the check itself returns at most `limit`)."""
        self.total += 1
        self.problems.append((row, field, code, ja, en))

    def counted(self, more: int) -> None:
        """Problems an SQL check counted beyond the ones it returned."""
        self.total += more

    def shown(self) -> list[tuple[int, str, str, str, str]]:
        return sorted(self.problems)[:self.limit]

    def lines(self) -> list[dict]:
        return [{"row": r, "field": f, "message": ja} for r, f, _, ja, _ in self.shown()]

    def raise_if_any(self) -> None:
        if not self.total:
            return
        issues = IssueCollector()
        shown = self.shown()
        for r, f, code, ja, en in shown:
            issues.add(f"rows[{r}].{f}", code, f"{r}行目: {ja}", f"row {r}: {en}")
        try:
            issues.raise_if_any()
        except InputError as error:
            if self.total <= len(shown):
                error.detail_ja = f"誤りのある行が{len({p[0] for p in shown})}行あります。ファイル全体を取り込みませんでした"
                error.detail_en = "The file has bad rows; nothing was ingested"
            else:
                error.detail_ja = (f"誤りが{self.total:,}件あります（最初の{len(shown):,}件を表示）。"
                                   "ファイル全体を取り込みませんでした")
                error.detail_en = f"The file has {self.total:,} problems (first {len(shown):,} shown); nothing was ingested"
            error.extra["problems"] = self.total
            error.code = "readings_rejected"
            error.extra["report"] = self.lines()
            raise


@lru_cache(maxsize=4096)
def _day(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _kwh(text: str, row: int, report: Report) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        report.add(row, "kwh", "kwh_format", f"電力量が数値ではありません（入力値: {text[:20]}）",
                   f"kWh is not a number ({text[:20]})")
        return None
    if value < 0:
        report.add(row, "kwh", "kwh_negative", "電力量に負の値は指定できません", "kWh must not be negative")
        return None
    if value.as_tuple().exponent < -4:  # type: ignore[operator]
        report.add(row, "kwh", "kwh_decimals", "電力量は小数点以下4桁までです", "kWh has at most 4 decimals")
        return None
    if value > MAX_KWH:
        report.add(row, "kwh", "kwh_range", "電力量は999999.9999以下で指定してください", "kWh is at most 999999.9999")
        return None
    return value


def copy_line(row: int, cells: list[str], report: Report) -> str | None:
    """The staging table's COPY text line for a well-formed row (row, spid, date, slot, kWh, status),
    or None with every problem of the row in `report`. Point and duplicate checks run in SQL on the
    staged rows (repository.staged_point_problems, staged_duplicates)."""
    spid_text, date_text, slot_text, kwh_text, status_text = cells
    ok = True
    spid = _spid(spid_text)
    if spid is None:
        report.add(row, "spid", "spid_format", f"供給地点特定番号は22桁の数字です（入力値: {spid_text[:30]}）",
                   "The supply point ID must be 22 digits")
        ok = False
    day = _day(date_text.strip())
    if day is None:
        report.add(row, "date", "date_format", f"日付が正しくありません（入力値: {date_text[:20]}）",
                   "Bad date (YYYY-MM-DD or YYYYMMDD)")
        ok = False
    slot = _slot(slot_text)
    if slot is None:
        report.add(row, "slot", "slot_range", f"コマ番号は1〜48で指定してください（入力値: {slot_text[:10]}）",
                   "The slot must be 1 to 48")
        ok = False
    kwh = _kwh(kwh_text.strip(), row, report)
    status = status_text.strip()
    if len(status) != 1 or not status.isdigit() or not status.isascii():
        report.add(row, "status", "status_format", "状態は0〜9の1桁で指定してください", "Status is one digit 0-9")
        ok = False
    if not ok or kwh is None:
        return None
    return f"{row}\t{spid}\t{day}\t{slot}\t{format(kwh, 'f')}\t{status}\n"


@lru_cache(maxsize=4096)
def _spid(text: str) -> str | None:
    """A file holds 48 rows per point (and the same few dates): cached, the checks cost once."""
    spid = normalize_spid(text.strip())
    return spid if len(spid) == 22 and spid.isascii() and spid.isdigit() else None


@lru_cache(maxsize=64)
def _slot(text: str) -> int | None:
    text = text.strip()
    slot = int(text) if text.isascii() and text.isdigit() else 0
    return slot if 1 <= slot <= SLOTS else None


# -- monthly confirmed totals: spid, billing month, kWh, max demand kW, power factor %, next reading date
MAX_MONTH_KWH = Decimal("9999999999.9999")  # numeric(14,4)
MonthlyRow = tuple[int, str, date, Decimal, "Decimal | None", "int | None", "date | None"]


def _month(text: str) -> date | None:
    text = text.strip()
    for fmt in ("%Y-%m", "%Y%m", "%Y-%m-%d"):
        try:
            day = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return day if day.day == 1 else None
    return None


def _decimal(text: str, row: int, field: str, label: str, maximum: Decimal, report: Report) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0 or value.as_tuple().exponent < -4 or value > maximum:  # type: ignore[operator]
        report.add(row, field, f"{field}_format", f"{label}は0以上・小数点以下4桁まで・{maximum}以下の数値です"
                   f"（入力値: {text[:20]}）", f"{field} must be a number from 0 to {maximum} with at most 4 decimals")
        return None
    return value


def parse_monthly(row: int, cells: list[str], report: Report) -> MonthlyRow | None:
    """A well-formed monthly row, or None with its problems in `report` (points and repeats: service)."""
    spid_text, month_text, kwh_text, demand_text, factor_text, next_text = (c.strip() for c in cells)
    ok = True
    spid = _spid(spid_text)
    if spid is None:
        report.add(row, "spid", "spid_format", f"供給地点特定番号は22桁の数字です（入力値: {spid_text[:30]}）",
                   "The supply point ID must be 22 digits")
        ok = False
    month = _month(month_text)
    if month is None:
        report.add(row, "billing_month", "month_format", f"検針月が正しくありません（入力値: {month_text[:20]}）",
                   "Bad billing month (YYYY-MM or YYYYMM)")
        ok = False
    kwh = _decimal(kwh_text, row, "kwh", "使用電力量", MAX_MONTH_KWH, report)
    demand = _decimal(demand_text, row, "max_demand_kw", "最大需要電力", MAX_KWH, report) if demand_text else None
    factor = None
    if factor_text:
        factor = int(factor_text) if factor_text.isascii() and factor_text.isdigit() else -1
        if not 0 <= factor <= 100:
            report.add(row, "power_factor", "power_factor_range", f"力率は0〜100の整数です（入力値: {factor_text[:10]}）",
                       "The power factor is an integer 0-100")
            ok = False
    next_day = _day(next_text) if next_text else None
    if next_text and (next_day is None or (month is not None and next_day <= month)):
        report.add(row, "next_reading_date", "next_reading_date", f"次回検針予定日が正しくありません（入力値: {next_text[:20]}）",
                   "Bad next reading date (a date after the billing month's first day)")
        ok = False
    if not ok or kwh is None or (demand_text and demand is None) or month is None or spid is None:
        return None
    return (row, spid, month, kwh, demand, factor, next_day)
