"""Metering files: listing and download under the caller's scope; building file sets (revisions).

A build covers one (area, type group, period): every retailer that supplied points in the period
gets its files, split into sequences of at most `per_file` points (ordered by spid). Each sequence
is compared with its latest stored revision by content hash (jsonrender.content_key + the points):
identical content stores nothing, different content stores revision + 1 with `supersedes`, and
every stored file is announced to the hub (`metering.file_published`) in the same transaction.
"""

from __future__ import annotations

import asyncio
import calendar as _calendar
import collections
import contextlib
import gzip
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.curtailment import service as curtailment
from switchhub.area.metering import forms, packers
from switchhub.area.metering import repository as repo
from switchhub.area.metering.fastwriter import RawPoint
from switchhub.area.metering.model import Header
from switchhub.area.metering.package import Packaged, package_fast, package_xml
from switchhub.area.metering.xmlwriter import MonthlyRow, PointRow
from switchhub.area.outbox.repository import emit
from switchhub.contract.events import MeteringFilePublished
from switchhub.contract.metering import MONTHLY_TYPES, TODAY_TYPES, FileType
from switchhub.kernel.calendar import reading_date, valid_reading_codes
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import JST
from switchhub.kernel.codes import AREA_TSO_NAMES
from switchhub.kernel.errors import NotFound
from switchhub.kernel.visibility import MeteringFileScope, metering_file_scope

_NOT_FOUND = ("指定された計量データファイルはありません", "No such metering file")


def file_id(area: str, position: int) -> str:
    return f"{area}-{position:06d}"


def parse_file_id(raw: str) -> tuple[str, int] | None:
    area, _, num = raw.partition("-")
    if len(area) != 2 or not num.isdigit() or len(num) > 19 or int(num) > 2**63 - 1:
        return None
    return area, int(num)


def slot_time(slot: int) -> str:
    """HHMM at which slot 1–48 begins (slot 1 = 0000, slot 48 = 2330)."""
    minutes = (slot - 1) * 30
    return f"{minutes // 60:02d}{minutes % 60:02d}"


def listed(row: dict[str, Any]) -> dict[str, Any]:
    """A files-table row as the contract's MeteringFile."""
    t = FileType(row["type"])
    by_month = t.value.startswith("C")  # forms: a calendar month; monthly billing files: a reading day and its month
    return {
        "file_id": file_id(row["area"], row["id"]), "area": row["area"], "retailer_code": row["retailer_code"],
        "type": t.value,
        "target_date": None if by_month else row["target"].isoformat(),
        "target_month": row["target"].strftime("%Y-%m") if by_month or t in MONTHLY_TYPES else None,
        "slot_time": slot_time(row["slot"]) if t in TODAY_TYPES else None,
        "sequence": row["sequence"], "revision": row["revision"], "name": row["name"], "points": row["points"],
        "size_bytes": row["size_bytes"], "sha256": row["sha256"], "operation_mode": row["operation_mode"],
        "created_at": row["created_at"].astimezone(JST).isoformat(),
        "supersedes": file_id(row["area"], row["supersedes"]) if row["supersedes"] else None,
        "position": row["id"],
    }


def _scope(caller: Caller) -> MeteringFileScope:
    scope = metering_file_scope(caller)
    if scope is None:
        raise NotFound(*_NOT_FOUND)
    return scope


async def list_files(conn: AsyncConnection, caller: Caller, served: tuple[str, ...], *, retailer: str | None,
                     area: str | None, after: int, limit: int, types: list[str] | None, date_from: date | None,
                     date_to: date | None) -> dict[str, Any]:
    """One page of the files the caller may see, from position `after`."""
    scope = metering_file_scope(caller)
    areas = [a for a in served if scope is not None and (scope.areas is None or a in scope.areas)
             and (area is None or a == area)]
    if scope is not None and scope.retailer is not None:
        if retailer is not None and retailer != scope.retailer:
            areas = []  # another retailer's files do not exist for this caller
        retailer = scope.retailer
    if not areas:
        return {"items": [], "next_after": None}
    rows = await repo.list_files(conn, areas=areas, retailer=retailer, after=after, limit=limit + 1, types=types,
                                 date_from=date_from, date_to=date_to)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [listed(r) for r in rows], "next_after": rows[-1]["id"] if more else None}


async def visible_file(conn: AsyncConnection, caller: Caller, served: tuple[str, ...], raw_id: str) -> dict[str, Any]:
    parsed = parse_file_id(raw_id)
    if parsed is None or parsed[0] not in served:
        raise NotFound(*_NOT_FOUND)
    row = await repo.get_file(conn, parsed[1])
    if row is None or row["area"] != parsed[0] or not _scope(caller).sees(row["area"], row["retailer_code"]):
        raise NotFound(*_NOT_FOUND)
    return row


async def download(conn: AsyncConnection, caller: Caller, served: tuple[str, ...], raw_id: str,
                   fmt: str) -> tuple[dict[str, Any], bytes]:
    """The file's ZIP, or its JSON rendering (stored gzip'd, answered plain)."""
    row = await visible_file(conn, caller, served, raw_id)
    if fmt == "json":
        return row, gzip.decompress(await repo.file_bytes(conn, row["id"], "json"))
    return row, await repo.file_bytes(conn, row["id"], "zip")


# --- building ---------------------------------------------------------------------------------

PER_FILE = 10_000  # points per sequence (metering.md: a file per retailer is split into sequences)
VOLTAGE_NAMES = {"high": "高圧", "low": "低圧", "low_fit": "低圧"}


def sender_of(area: str) -> tuple[str, str]:
    return f"T{area}00", AREA_TSO_NAMES[area]


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, first.replace(day=_calendar.monthrange(first.year, first.month)[1])


async def store(conn: AsyncConnection, area: str, header: Header, build: Callable[[Header], Packaged],
                latest: dict[int, dict[str, Any]], now: datetime) -> dict[str, Any] | None:
    """Package one sequence as the next revision; store and announce it unless its content is unchanged."""
    before = latest.get(header.sequence)
    header = replace(header, revision=before["revision"] + 1 if before else 1)
    return await _save(conn, area, header, build(header), before, now)


async def _save(conn: AsyncConnection, area: str, header: Header, built: Packaged, before: dict[str, Any] | None,
                now: datetime) -> dict[str, Any] | None:
    if before is not None and before["content_sha256"] == built.content_sha256:
        return None
    row = await repo.insert_file(conn, {
        "area": area, "retailer_code": header.receiver_code, "type": header.type.value, "target": header.target,
        "slot": header.slot or 0, "sequence": header.sequence, "revision": header.revision, "name": built.name,
        "operation_mode": header.operation_mode, "zip": built.zip, "json": built.json_gz, "sha256": built.sha256,
        "content_sha256": built.content_sha256, "points": built.points, "created_at": now,
        "supersedes": before["id"] if before else None})
    item = listed(row)
    await emit(conn, area, MeteringFilePublished(
        file_id=item["file_id"], area=area, retailer_code=item["retailer_code"], type=item["type"],
        target_date=item["target_date"], target_month=item["target_month"], slot_time=item["slot_time"],
        sequence=item["sequence"], revision=item["revision"], name=item["name"], position=item["position"],
        supersedes=item["supersedes"], points=item["points"], size_bytes=item["size_bytes"], sha256=item["sha256"],
        operation_mode=item["operation_mode"], created_at=item["created_at"]))
    return item


class _Pipeline:
    """Stores the sequences of a build in order, each packaged elsewhere (packers: worker processes, or a
    thread) while the next ones' rows are read: the event loop stays free for the worker's other jobs and
    the packaging of several sequences overlaps with PostgreSQL reading the rows."""

    def __init__(self, conn: AsyncConnection, area: str, now: datetime) -> None:
        self.conn, self.area, self.now = conn, area, now
        self.pending: collections.deque[tuple[Header, dict[str, Any] | None, asyncio.Future]] = collections.deque()
        self.depth = packers.in_flight()
        self.stored: list[dict[str, Any]] = []

    async def add(self, header: Header, package: Callable[[Header, Sequence], Packaged], rows: Sequence) -> None:
        latest = await repo.latest_revisions(self.conn, self.area, header.receiver_code, header.type.value,
                                             header.target, header.slot or 0)
        before = latest.get(header.sequence)
        header = replace(header, revision=before["revision"] + 1 if before else 1)
        self.pending.append((header, before, asyncio.ensure_future(packers.run(package, header, rows))))
        while len(self.pending) > self.depth:
            await self._store_oldest()

    async def drain(self) -> None:
        while self.pending:
            await self._store_oldest()

    async def _store_oldest(self) -> None:
        header, before, task = self.pending.popleft()
        item = await _save(self.conn, self.area, header, await task, before, self.now)
        if item:
            self.stored.append(item)

    async def abandon(self) -> None:
        """After a failure: let the running packagers finish (their results go with the transaction)."""
        while self.pending:
            with contextlib.suppress(Exception):
                await self.pending.popleft()[2]


async def _grouped(rows: AsyncIterator[tuple], per_file: int) -> AsyncIterator[tuple[str, bool, int, list]]:
    """(retailer, high, sequence, rows) chunks of at most `per_file` rows from rows ordered by (retailer, high)."""
    key, chunk, seq = None, [], 0
    async for row in rows:
        k = (row[0], row[1])
        if k != key or len(chunk) >= per_file:
            if chunk:
                yield key[0], key[1], seq, chunk  # type: ignore[index]
            seq = 1 if k != key else seq + 1
            key, chunk = k, []
        chunk.append(row)
    if chunk:
        yield key[0], key[1], seq, chunk  # type: ignore[index]


async def build_day(conn: AsyncConnection, area: str, day: date, now: datetime, mode: str, *,
                    slot: int | None = None, retailer: str | None = None,
                    per_file: int = PER_FILE) -> list[dict[str, Any]]:
    """Today files (one `slot`) or past-day files (slot None) of `day` for every retailer of the area."""
    code, name = sender_of(area)
    made = set()
    pipeline = _Pipeline(conn, area, now)
    rows = repo.day_points(conn, area, day, slot=slot, retailer=retailer)
    try:
        async for retailer_code, high, seq, chunk in _grouped(rows, per_file):
            if slot is None:  # past day: the day's texts through fastwriter
                t = FileType.HIGH_PAST_DAY if high else FileType.LOW_PAST_DAY
                points: list = [RawPoint(r[2], r[4], r[5], r[3], r[6], r[7]) for r in chunk]
                package = package_fast
            else:
                t = FileType.HIGH_TODAY if high else FileType.LOW_TODAY
                points = [PointRow(r[2], r[4], r[5], r[3], r[6], r[7]) for r in chunk]
                package = package_xml
            await pipeline.add(Header(t, mode, code, name, retailer_code, now, day, slot, seq), package, points)
            made.add((retailer_code, t.value, seq))
        await pipeline.drain()
    finally:
        await pipeline.abandon()
    stored = pipeline.stored
    types = [FileType.HIGH_PAST_DAY, FileType.LOW_PAST_DAY] if slot is None else [FileType.HIGH_TODAY,
                                                                                  FileType.LOW_TODAY]
    stored += await _empty_the_rest(conn, area, types, day, slot, retailer, made, mode, now)
    return stored


async def _empty_the_rest(conn: AsyncConnection, area: str, types: list[FileType], target: date, slot: int | None,
                          retailer: str | None, made: set[tuple[str, str, int]], mode: str,
                          now: datetime) -> list[dict[str, Any]]:
    """A stored sequence this build did not produce (its points left the retailer, or fewer sequences
    are needed) gets a new revision without points, so no stale revision stays the latest."""
    code, name = sender_of(area)
    stored = []
    for row in await repo.latest_of_period(conn, area, [t.value for t in types], target, slot or 0, retailer):
        if (row["retailer_code"], row["type"], row["sequence"]) in made or row["points"] == 0:
            continue
        header = Header(FileType(row["type"]), mode, code, name, row["retailer_code"], now, target, slot,
                        row["sequence"])
        item = await store(conn, area, header, lambda h: package_xml(h, []), {row["sequence"]: row}, now)
        if item:
            stored.append(item)
    return stored


def _days_between(d0: date, d1: date) -> list[date]:
    return [d0 + timedelta(days=i) for i in range((d1 - d0).days + 1)]


def _monthly_row(periods: list[dict[str, Any]]) -> MonthlyRow:
    """One point's record from its supply periods of the retailer in its billing period (usually one)."""
    last = periods[-1]
    days, total, max_demand = [], Decimal(0), None
    for p in periods:
        for d in _days_between(p["d0"], p["d1"]):
            kwh, status = p["days"].get(d, (None, None))  # kWh as stored, status array text; None: no reading (fastwriter)
            days.append((d, kwh, status))
        total += Decimal(p["total"])
        if p["max_demand"] is not None:
            md = Decimal(p["max_demand"])
            max_demand = md if max_demand is None or md > max_demand else max_demand
    whole = len(periods) == 1 and last["d0"] == last["p0"] and last["d1"] == last["p1"]
    provided = "0" if any(p["days"] for p in periods) else "1"
    if provided == "1":
        days = []  # not provided (no reading for any covered day): the record without day values
    return MonthlyRow(
        spid=last["spid"], customer_code="" if last["customer_id"] is None else str(last["customer_id"]),
        customer_name=last["customer_name"] or "", point_name=last["point_name"] or "",
        voltage_name=VOLTAGE_NAMES.get(last["channel"], last["channel"]), provided=provided,
        power_factor=last["power_factor"], meter_class=last["meter_class"],
        total_kwh=format(total.quantize(Decimal("0.0001")), "f"),
        confirmed_kwh=last["confirmed"] if whole else None,
        max_demand_kw=None if max_demand is None else format(max_demand, "f"),
        next_reading_date=last["next_reading_date"], days=days)


def billing_periods_closing(area: str, reading_day: date) -> list[tuple[str, date, date]]:
    """(reading-day code, first day, last day) of the billing periods that close on `reading_day`: the
    codes of the area whose reading day this month it is (kernel/calendar; several codes can share a
    day when a month runs short), each period from the code's reading day in the previous month up to
    the day before — the periods readings_monthly confirms (area/readings/service.billing_periods)."""
    prev = (reading_day.replace(day=1) - timedelta(days=1)).replace(day=1)
    out = []
    for code in valid_reading_codes(area):
        if reading_date(area, code, reading_day.year, reading_day.month) == reading_day:
            out.append((code, reading_date(area, code, prev.year, prev.month), reading_day - timedelta(days=1)))
    return out


def reading_days(area: str, month: date) -> list[date]:
    """The area's reading days in `month` (every day on which some code's billing period closes)."""
    return sorted({reading_date(area, c, month.year, month.month) for c in valid_reading_codes(area)})


async def _monthly_rows(conn: AsyncConnection, area: str, reading_day: date,
                        retailer: str | None) -> AsyncIterator[tuple]:
    """(retailer, high, MonthlyRow) per retailer and point, from the periods ordered by retailer, high, spid."""
    periods_closing = billing_periods_closing(area, reading_day)
    if not periods_closing:
        return
    key, periods = None, []
    async for p in repo.month_points(conn, area, reading_day.replace(day=1), periods_closing, retailer=retailer):
        k = (p["retailer_code"], p["high"], p["spid"])
        if k != key and periods:
            yield key[0], key[1], _monthly_row(periods)  # type: ignore[index]
            periods = []
        key = k
        periods.append(p)
    if periods:
        yield key[0], key[1], _monthly_row(periods)  # type: ignore[index]


async def build_monthly(conn: AsyncConnection, area: str, reading_day: date, now: datetime, mode: str, *,
                        retailer: str | None = None, per_file: int = PER_FILE) -> list[dict[str, Any]]:
    """Monthly billing usage files (W51210/W51220) of one reading day for every retailer of the area:
    the points whose billing period (between two of their reading days) closed on it, billing month =
    the reading day's month (readings_monthly.billing_month).

    A point switched during its period is in both retailers' files, each with exactly the days it
    supplied (supply periods are inclusive), so the two files split the period with no gap or overlap."""
    code, name = sender_of(area)

    async def rows() -> AsyncIterator[tuple]:
        async for r, high, row in _monthly_rows(conn, area, reading_day, retailer):
            yield r, high, row

    made = set()
    pipeline = _Pipeline(conn, area, now)
    try:
        async for retailer_code, high, seq, chunk in _grouped(rows(), per_file):
            t = FileType.HIGH_MONTHLY if high else FileType.LOW_MONTHLY
            points: Sequence[MonthlyRow] = [r[2] for r in chunk]
            await pipeline.add(Header(t, mode, code, name, retailer_code, now, reading_day, None, seq), package_fast,
                               points)
            made.add((retailer_code, t.value, seq))
        await pipeline.drain()
    finally:
        await pipeline.abandon()
    stored = pipeline.stored
    stored += await _empty_the_rest(conn, area, [FileType.HIGH_MONTHLY, FileType.LOW_MONTHLY], reading_day, None,
                                    retailer, made, mode, now)
    return stored


async def build_forms(conn: AsyncConnection, area: str, month: date, now: datetime, mode: str) -> list[dict[str, Any]]:
    """The three CSV forms of the billing month for every retailer with rows (forms.py)."""
    m0, m1 = month_bounds(month)
    code, name = sender_of(area)
    stored = []
    events = await curtailment.month_events(conn, area, m0, m1)
    by_retailer = forms.rows_by_retailer(await repo.form_points(conn, area, m0, m1), events, m0)
    for retailer_code in sorted(by_retailer):
        tables = by_retailer[retailer_code]
        for t in (FileType.CONTRACT_POWER, FileType.CURTAILMENT, FileType.GENERATOR_ENERGY):
            rows = tables[t]
            if not rows and not (t is FileType.CURTAILMENT and tables[FileType.CONTRACT_POWER]):
                continue
            header = Header(t, mode, code, name, retailer_code, now, m0, None, 1)
            latest = await repo.latest_revisions(conn, area, retailer_code, t.value, m0, 0)
            item = await store(conn, area, header, lambda h, rows=rows: forms.render(h, rows), latest, now)
            if item:
                stored.append(item)
    return stored
