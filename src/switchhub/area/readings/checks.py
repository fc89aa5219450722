"""Per-row checks of ingested 30-minute readings, with the Japanese per-row report (row, field, message).

A row is (row number, spid, date, slot, kWh, status) as text. kWh is parsed with Decimal (never
float): 0 or more, at most 4 decimals and 6 integer digits (decimal(10,4)). Point checks (unknown
point, point of another area) need the database: `check_points` takes the areas the repository
found for the file's spids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from switchhub.kernel.errors import InputError, IssueCollector
from switchhub.kernel.spid import normalize_spid

SLOTS = 48
MAX_KWH = Decimal("999999.9999")


@dataclass(frozen=True)
class RawRow:
    row: int
    spid: str
    date: str
    slot: str
    kwh: str
    status: str


@dataclass(frozen=True)
class Reading:
    row: int
    spid: str
    day: date
    slot: int  # 1..48
    kwh: Decimal
    status: int


class Report:
    """Problems by row: the API answers them as field issues `rows[n].field`, the CLI prints them."""

    def __init__(self) -> None:
        self.problems: list[tuple[int, str, str, str, str]] = []  # row, field, code, ja, en

    def add(self, row: int, field: str, code: str, ja: str, en: str) -> None:
        self.problems.append((row, field, code, ja, en))

    def lines(self) -> list[dict]:
        return [{"row": r, "field": f, "message": ja} for r, f, _, ja, _ in sorted(self.problems)]

    def raise_if_any(self) -> None:
        if not self.problems:
            return
        issues = IssueCollector()
        for r, f, code, ja, en in sorted(self.problems):
            issues.add(f"rows[{r}].{f}", code, f"{r}行目: {ja}", f"row {r}: {en}")
        try:
            issues.raise_if_any()
        except InputError as error:
            error.detail_ja = f"誤りのある行が{len({p[0] for p in self.problems})}行あります。ファイル全体を取り込みませんでした"
            error.detail_en = "The file has bad rows; nothing was ingested"
            error.code = "readings_rejected"
            error.extra["report"] = self.lines()
            raise


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


def parse_rows(rows: list[RawRow], report: Report) -> list[Reading]:
    """The well-formed rows; every problem goes to `report` (duplicates name the first row)."""
    out: list[Reading] = []
    seen: dict[tuple[str, date, int], int] = {}
    for raw in rows:
        r, ok = raw.row, True
        spid = normalize_spid(raw.spid.strip())
        if len(spid) != 22 or not spid.isascii() or not spid.isdigit():
            report.add(r, "spid", "spid_format", f"供給地点特定番号は22桁の数字です（入力値: {raw.spid[:30]}）",
                       "The supply point ID must be 22 digits")
            ok = False
        day = _day(raw.date.strip())
        if day is None:
            report.add(r, "date", "date_format", f"日付が正しくありません（入力値: {raw.date[:20]}）",
                       "Bad date (YYYY-MM-DD or YYYYMMDD)")
            ok = False
        slot_text = raw.slot.strip()
        slot = int(slot_text) if slot_text.isascii() and slot_text.isdigit() else 0
        if not 1 <= slot <= SLOTS:
            report.add(r, "slot", "slot_range", f"コマ番号は1〜48で指定してください（入力値: {raw.slot[:10]}）",
                       "The slot must be 1 to 48")
            ok = False
        kwh = _kwh(raw.kwh.strip(), r, report)
        status_text = raw.status.strip()
        if len(status_text) != 1 or not status_text.isdigit() or not status_text.isascii():
            report.add(r, "status", "status_format", "状態は0〜9の1桁で指定してください", "Status is one digit 0-9")
            ok = False
        if not ok or kwh is None or day is None:
            continue
        key = (spid, day, slot)
        if key in seen:
            report.add(r, "slot", "duplicate", f"{seen[key]}行目と同じ地点・日付・コマです",
                       f"Same point, date and slot as row {seen[key]}")
            continue
        seen[key] = r
        out.append(Reading(r, spid, day, slot, kwh, int(status_text)))
    return out


def check_points(readings: list[Reading], area: str, areas_of: Mapping[str, str], report: Report) -> None:
    """Unknown points and points of another area (areas_of: spid → area of the known points)."""
    for reading in readings:
        found = areas_of.get(reading.spid)
        if found is None and reading.spid[:2] != area:
            found = reading.spid[:2]  # another area's ID that this area system does not hold
        if found is None:
            report.add(reading.row, "spid", "point_unknown", "供給地点特定番号が登録されていません",
                       "Unknown supply point")
        elif found != area:
            report.add(reading.row, "spid", "point_other_area", f"エリア{area}の供給地点ではありません（エリア{found}）",
                       f"The point is not of area {area} (area {found})")
