"""Use cases of the curtailment events: ingest for one area, all or nothing (never commits).

The same rules as the readings ingest (area/readings/service.py): any bad row — format, unknown
point, point of another area, the same point and start twice in the file — refuses the whole batch
with the per-row Japanese report and nothing changes. A good batch upserts by (point, start): an
event sent again with other values is a correction, the same values change nothing. The events are
few (dispatch records, not meter data), so a batch is checked in memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.curtailment import repository
from switchhub.area.curtailment.checks import Event, parse_event
from switchhub.area.readings import csvfile
from switchhub.area.readings import repository as readings_repository
from switchhub.area.readings.checks import Report
from switchhub.kernel.clock import get_clock

COLUMNS = ("spid", "kind", "starts_at", "ends_at", "reason", "discount_rate")
LABELS = "供給地点特定番号,区分,開始日時,終了日時,事由,割引率"
BATCH = 5_000


@dataclass(frozen=True)
class IngestedEvents:
    area: str
    rows: int
    written: int

    def as_dict(self) -> dict:
        return {"area": self.area, "rows": self.rows, "written": self.written}


async def ingest_csv(conn: AsyncConnection, area: str, source: bytes | BinaryIO) -> IngestedEvents:
    """A CSV file (UTF-8 with or without BOM, or CP932; an optional header line)."""
    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    report = Report()
    return await _ingest(conn, area, csvfile.iter_rows(stream, report, COLUMNS, LABELS), report)


async def ingest_rows(conn: AsyncConnection, area: str, rows: list[list[str]]) -> IngestedEvents:
    """The API's rows (numbered from 1), through the same checks as a file."""
    return await _ingest(conn, area, enumerate(rows, start=1), Report())


async def _ingest(conn: AsyncConnection, area: str, rows: Iterable[tuple[int, list[str]]],
                  report: Report) -> IngestedEvents:
    good: list[Event] = []
    seen: dict[tuple[str, Any], int] = {}
    for number, cells in rows:
        event = parse_event(number, cells, report)
        if event is None:
            continue
        key = (event.spid, event.starts_at)
        if key in seen:
            report.add(number, "starts_at", "duplicate", f"{seen[key]}行目と同じ地点・開始日時です",
                       f"Same point and start as row {seen[key]}")
            continue
        seen[key] = number
        good.append(event)
    if not good and not report.total:
        report.add(1, "file", "empty", "取り込む行がありません", "No rows to ingest")
    spids = sorted({e.spid for e in good})
    found: dict[str, str] = {}
    for i in range(0, len(spids), BATCH):
        found |= await readings_repository.areas_of(conn, spids[i:i + BATCH], area)
    for e in good:
        other = found.get(e.spid)
        if other is None:
            report.add(e.row, "spid", "point_unknown", "供給地点特定番号が登録されていません", "Unknown supply point")
        elif other != area:
            report.add(e.row, "spid", "point_other_area", f"エリア{area}の供給地点ではありません（エリア{other}）",
                       f"The point is not of area {area} (area {other})")
    report.raise_if_any()
    now = get_clock().now()
    written = 0
    for i in range(0, len(good), BATCH):
        batch = good[i:i + BATCH]
        written += await repository.upsert(conn, area, [(e.spid, e.kind, e.starts_at, e.ends_at, e.reason,
                                                         e.discount_rate) for e in batch], now)
    return IngestedEvents(area, len(good), written)


async def month_events(conn: AsyncConnection, area: str, m0: date, m1: date) -> list[dict[str, Any]]:
    """The events of the billing month [m0, m1] per supplying retailer, each clipped to the days that
    retailer supplied the point (the form C02's rows, metering/forms.py)."""
    return await repository.month_events(conn, area, m0, m1)
