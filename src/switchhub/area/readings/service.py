"""Use cases of the meter readings: ingest 30-minute energy for one area (never commits).

All-or-nothing: if any row is bad (format, unknown point, point of another area, duplicate slot in
the file) the whole file is refused with the per-row report and nothing changes. Good files are
merged per (spid, day): see repository.merge_days for the revision rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.metering import tasks as metering_tasks
from switchhub.area.readings import repository
from switchhub.area.readings.checks import SLOTS, RawRow, Reading, Report, check_points, parse_rows
from switchhub.area.readings.csvfile import read_rows
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import Forbidden

BATCH_DAYS = 5_000


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


async def ingest_csv(conn: AsyncConnection, area: str, data: bytes) -> Ingested:
    report = Report()
    raw = read_rows(data, report)
    return await _ingest(conn, area, raw, report)


async def ingest_rows(conn: AsyncConnection, area: str, rows: list[RawRow]) -> Ingested:
    return await _ingest(conn, area, rows, Report())


async def _ingest(conn: AsyncConnection, area: str, raw: list[RawRow], report: Report) -> Ingested:
    if not raw and not report.problems:
        report.add(1, "file", "empty", "取り込む行がありません", "No rows to ingest")
    readings = parse_rows(raw, report)
    spids = sorted({r.spid for r in readings})
    check_points(readings, area, await repository.areas_of(conn, spids), report)
    report.raise_if_any()
    days = _by_day(readings)
    await repository.ensure_month_partitions(conn, sorted({d.replace(day=1) for _, d in days}))
    items = [(spid, day, kwh, status) for (spid, day), (kwh, status) in sorted(days.items())]
    total = revised = 0
    for i in range(0, len(items), BATCH_DAYS):
        n, r = await repository.merge_days(conn, area, items[i:i + BATCH_DAYS])
        total, revised = total + n, revised + r
    # a day whose metering files exist is rebuilt: corrections become new revisions (metering/tasks.py)
    await metering_tasks.readings_changed(conn, area, sorted(days), get_clock().now())
    return Ingested(area, len(readings), total, revised)


def _by_day(readings: list[Reading]) -> dict[tuple[str, date], tuple[list, list]]:
    days: dict[tuple[str, date], tuple[list, list]] = {}
    for r in readings:
        kwh, status = days.setdefault((r.spid, r.day), ([None] * SLOTS, [None] * SLOTS))
        kwh[r.slot - 1], status[r.slot - 1] = r.kwh, r.status
    return days
