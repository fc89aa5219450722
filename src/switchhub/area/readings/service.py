"""Use cases of the meter readings: ingest 30-minute energy for one area (never commits).

All-or-nothing: if any row is bad (format, unknown point, point of another area, duplicate slot in
the file) the whole file is refused with the per-row report and nothing changes. The rows stream:
checked for format in Python per row, COPYed in chunks into a transaction-local staging table, the
checks over all rows run in SQL there, and a good file is merged per (spid, day) in one set-based
statement (repository.merge_staged; the revision rule of repository.merge_days). Memory stays
flat whatever the file's size; only the first MAX_PROBLEMS problems are reported, with the count.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.metering import tasks as metering_tasks
from switchhub.area.readings import csvfile, repository
from switchhub.area.readings.checks import RawRow, Report, copy_line, parse_monthly
from switchhub.kernel import calendar
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import Forbidden

CHUNK_ROWS = 50_000  # rows per COPY into the staging table


@dataclass(frozen=True)
class Ingested:
    area: str
    rows: int
    days: int
    revised_days: int

    def as_dict(self) -> dict:
        return {"area": self.area, "rows": self.rows, "days": self.days, "revised_days": self.revised_days}


def check_ingester(caller: Caller, area: str) -> None:
    """Through the API only the T&D of the area (its meter data source) ingests readings."""
    if not (caller.is_tso and area in caller.areas):
        raise Forbidden("計量値の取込はそのエリアの一般送配電事業者のみ行えます",
                        "Only the area's T&D ingests readings")


async def ingest_csv(conn: AsyncConnection, area: str, source: bytes | BinaryIO) -> Ingested:
    """A CSV file (bytes, or a seekable binary stream such as an open file), streamed."""
    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    report = Report()
    return await _ingest(conn, area, csvfile.iter_rows(stream, report), report)


async def ingest_rows(conn: AsyncConnection, area: str, rows: list[RawRow]) -> Ingested:
    """The API's rows, through the same staging path as a file."""
    cells = ((r.row, [r.spid, r.date, r.slot, r.kwh, r.status]) for r in rows)
    return await _ingest(conn, area, cells, Report())


async def _ingest(conn: AsyncConnection, area: str, rows: Iterable[tuple[int, list[str]]],
                  report: Report) -> Ingested:
    await repository.create_staging(conn)
    staged, chunk = 0, []
    for number, cells in rows:
        line = copy_line(number, cells, report)
        if line is not None:
            chunk.append(line)
            if len(chunk) == CHUNK_ROWS:
                await repository.copy_staging(conn, chunk)
                staged, chunk = staged + len(chunk), []
    if chunk:
        await repository.copy_staging(conn, chunk)
        staged += len(chunk)
    if not staged and not report.total:
        report.add(1, "file", "empty", "取り込む行がありません", "No rows to ingest")
    if staged:
        await repository.stage_days(conn)
        await _check_staged(conn, area, report)
    report.raise_if_any()  # the transaction's staging tables go with it; nothing else was written
    await repository.ensure_month_partitions(conn, await repository.staged_months(conn))
    days, revised = await repository.merge_staged(conn, area)
    # a day whose metering files exist is rebuilt: corrections become new revisions (metering/tasks.py)
    rebuild = await metering_tasks.days_with_files(conn, area, await repository.staged_dates(conn))
    if rebuild:  # only then the (spid, day) pairs: a day of 1 M points is 1 M pairs
        await metering_tasks.readings_changed(conn, area, await repository.staged_point_days(conn, rebuild),
                                              get_clock().now(), await repository.staged_day_slots(conn, rebuild))
    return Ingested(area, staged, days, revised)


async def _check_staged(conn: AsyncConnection, area: str, report: Report) -> None:
    """Unknown points, points of another area and repeated slots, found in SQL over all staged rows."""
    found, total = await repository.staged_point_problems(conn, area, report.limit)
    for row, other in found:
        if other is None:
            report.add_checked(row, "spid", "point_unknown", "供給地点特定番号が登録されていません",
                               "Unknown supply point")
        else:
            report.add_checked(row, "spid", "point_other_area", f"エリア{area}の供給地点ではありません（エリア{other}）",
                               f"The point is not of area {area} (area {other})")
    report.counted(total - len(found))
    repeats, total = await repository.staged_duplicates(conn, report.limit)
    for row, first in repeats:
        report.add_checked(row, "slot", "duplicate", f"{first}行目と同じ地点・日付・コマです",
                           f"Same point, date and slot as row {first}")
    report.counted(total - len(repeats))


# -- monthly confirmed totals -------------------------------------------------------------------

def _month_shift(month: date, n: int) -> date:
    m = month.year * 12 + month.month - 1 + n
    return date(m // 12, m % 12 + 1, 1)


def billing_periods(area: str, month: date) -> list[tuple[str, date, date, date]]:
    """Billing month M of a point (its 検針月) is the usage from its reading day in M-1 up to the
    day before its reading day in M (kernel/calendar's reading-day calendar of the area and the
    point's reading-day code); the next reading date is the reading day in M+1.
    (code, first day, day after the last day, next reading date) per code of the area."""
    prev, nxt = _month_shift(month, -1), _month_shift(month, 1)
    return [(code, calendar.reading_date(area, code, prev.year, prev.month),
             calendar.reading_date(area, code, month.year, month.month),
             calendar.reading_date(area, code, nxt.year, nxt.month)) for code in calendar.valid_reading_codes(area)]


@dataclass(frozen=True)
class Confirmed:
    area: str
    billing_month: date
    points: int
    revised: int


async def confirm_month(conn: AsyncConnection, area: str, month: date, spids: list[str] | None = None) -> Confirmed:
    """Compute readings_monthly for one area and billing month from its 30-minute readings (all its
    points, or `spids`): kWh = sum of the period's slots, maximum demand = largest half hour × 2 (kW),
    next reading date from the calendar. Points whose period is not fully received are left out
    (their month is not confirmable yet); a changed value raises the month's revision."""
    month = month.replace(day=1)
    written, revised = await repository.confirm_month(conn, area, month, billing_periods(area, month), spids)
    return Confirmed(area, month, written, revised)


@dataclass(frozen=True)
class IngestedMonthly:
    area: str
    rows: int
    written: int
    revised: int

    def as_dict(self) -> dict:
        return {"area": self.area, "rows": self.rows, "written": self.written, "revised": self.revised}


MONTHLY_BATCH = 5_000


async def ingest_monthly_csv(conn: AsyncConnection, area: str, source: bytes | BinaryIO) -> IngestedMonthly:
    """Monthly confirmed totals from the meter data source (points without 30-minute data):
    spid, billing_month, kwh, max_demand_kw, power_factor, next_reading_date."""
    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    report = Report()
    rows = csvfile.iter_rows(stream, report, csvfile.MONTHLY_COLUMNS, csvfile.MONTHLY_LABELS)
    return await _ingest_monthly(conn, area, rows, report)


async def ingest_monthly_rows(conn: AsyncConnection, area: str, rows: list[list[str]]) -> IngestedMonthly:
    return await _ingest_monthly(conn, area, enumerate(rows, start=1), Report())


async def _ingest_monthly(conn: AsyncConnection, area: str, rows: Iterable[tuple[int, list[str]]],
                          report: Report) -> IngestedMonthly:
    """All or nothing, as the 30-minute ingest. A month is one row per point: 1 M points are 1 M
    rows, checked in memory (the point lookup per batch of spids)."""
    good: list = []
    seen: dict[tuple[str, date], int] = {}
    for number, cells in rows:
        parsed = parse_monthly(number, cells, report)
        if parsed is None:
            continue
        key = (parsed[1], parsed[2])
        if key in seen:
            report.add(number, "billing_month", "duplicate", f"{seen[key]}行目と同じ地点・検針月です",
                       f"Same point and billing month as row {seen[key]}")
            continue
        seen[key] = number
        good.append(parsed)
    if not good and not report.total:
        report.add(1, "file", "empty", "取り込む行がありません", "No rows to ingest")
    spids = sorted({g[1] for g in good})
    found: dict[str, str] = {}
    for i in range(0, len(spids), MONTHLY_BATCH):
        found |= await repository.areas_of(conn, spids[i:i + MONTHLY_BATCH], area)
    for number, spid, *_ in good:
        other = found.get(spid) or (spid[:2] if spid[:2] != area else None)
        if other is None:
            report.add(number, "spid", "point_unknown", "供給地点特定番号が登録されていません", "Unknown supply point")
        elif other != area:
            report.add(number, "spid", "point_other_area", f"エリア{area}の供給地点ではありません（エリア{other}）",
                       f"The point is not of area {area} (area {other})")
    report.raise_if_any()
    written = revised = 0
    for i in range(0, len(good), MONTHLY_BATCH):
        w, r = await repository.upsert_monthly(conn, area, [g[1:] for g in good[i:i + MONTHLY_BATCH]])
        written, revised = written + w, revised + r
    return IngestedMonthly(area, len(good), written, revised)
