"""Keyed jobs of the area's metering files (named domain.verb), run by the area worker.

Each file set is one durable job keyed by what it covers, so it runs once per key and survives a
restart (db/jobs.py); the worker's `schedule` enqueues the keys that are due soon:

* `metering.today`    key `AREA:YYYY-MM-DD:SS`  — 15 minutes after slot SS ends (30-minute "today" files)
* `metering.past_day` key `AREA:YYYY-MM-DD`     — 04:00 JST the next day (all 48 slots)
* `metering.monthly`  key `AREA:YYYY-MM-DD`     — one per reading day of the area (kernel/calendar: the
  days of its reading-day codes), 06:00 JST on the first business day after it (within the 4 business
  days of metering.md): the points whose billing period closed that day
* `metering.forms`    key `AREA:YYYY-MM`        — 06:00 JST on the second business day after the reading
  day (within 5 business days)
* `metering.rebuild`  key `AREA:YYYY-MM-DD:<ingest time>` — a correction or late slot ingested for a day
  whose past-day files exist, or for a slot whose today files exist, rebuilds those files of the
  retailers that supplied the points concerned (today files of the touched slots, the past-day
  files, and the monthly files of the reading days whose billing periods hold the day, once those
  exist); unchanged content stores nothing.

A point's billing period runs between its reading days (its reading-day code; billing month M = from
the code's day in M-1 to the day before its day in M, as readings_monthly). The CSV forms stay per
calendar month, their reading day the first of the next month (docs/metering.md). The operation mode
written into JPMGH is `SWITCHHUB_METERING_OPERATION_MODE`: "0" live by default (a deployment that forgets the
setting must not send files that retailers are told never to process), "1" test data for the demo
and the sandbox, which serve generated data (`switchhub demo` sets it).
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.area.metering import repository as repo
from switchhub.area.metering import service
from switchhub.contract.metering import MONTHLY_TYPES
from switchhub.db.jobs import enqueue, enqueue_many
from switchhub.kernel.calendar import add_business_days, reading_dates_on_or_after, valid_reading_codes
from switchhub.kernel.clock import JST

TODAY_JOB, PAST_DAY_JOB, MONTHLY_JOB, FORMS_JOB, REBUILD_JOB = (
    "metering.today", "metering.past_day", "metering.monthly", "metering.forms", "metering.rebuild")
TODAY_DELAY = timedelta(minutes=15)
PAST_DAY_AT = time(4, 0)
MONTHLY_AT = time(6, 0)


def operation_mode() -> str:
    mode = os.environ.get("SWITCHHUB_METERING_OPERATION_MODE", "0")
    return mode if mode in ("0", "1") else "1"  # an unknown value is never taken for live


def slot_end(day: date, slot: int) -> datetime:
    return datetime.combine(day, time(0), JST) + timedelta(minutes=30 * slot)


def forms_reading_day(month: date) -> date:
    """The CSV forms' reading day of a calendar month: the first day of the next month."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def monthly_run_at(reading_day: date, area: str) -> datetime:
    """When the monthly billing files of a reading day are built: 06:00 on the next business day."""
    return datetime.combine(add_business_days(reading_day, 1, area), MONTHLY_AT, JST)


def forms_run_at(month: date, area: str) -> datetime:
    return datetime.combine(add_business_days(forms_reading_day(month), 2, area), MONTHLY_AT, JST)


def _previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


async def schedule(conn: AsyncConnection, now: datetime, areas: tuple[str, ...] | list[str]) -> None:
    """Enqueue the keys whose time falls within the last 2 hours or the next hour (idempotent).
    `SWITCHHUB_METERING_JOBS=0` turns the schedule off (e.g. a demo that does not need the files)."""
    if os.environ.get("SWITCHHUB_METERING_JOBS", "1") == "0":
        return
    now = now.astimezone(JST)
    today_keys, past_keys, month_keys, form_keys = [], [], [], []
    start = now - timedelta(hours=2)
    base = start.replace(minute=start.minute // 30 * 30, second=0, microsecond=0)
    for area in areas:
        for i in range(7):  # the slots that begin from 2 hours ago to 1 hour ahead
            begin = base + timedelta(minutes=30 * i)
            slot = begin.hour * 2 + begin.minute // 30 + 1
            today_keys.append((f"{area}:{begin.date().isoformat()}:{slot:02d}",
                               begin + timedelta(minutes=30) + TODAY_DELAY))
        yesterday = now.date() - timedelta(days=1)
        past_keys.append((f"{area}:{yesterday.isoformat()}", datetime.combine(now.date(), PAST_DAY_AT, JST)))
        month = _previous_month(now.date())
        for m in (month, now.date().replace(day=1)):  # the reading days of last month and this one so far
            month_keys += [(f"{area}:{d.isoformat()}", monthly_run_at(d, area))
                           for d in service.reading_days(area, m) if d <= now.date()]
        form_keys.append((f"{area}:{month:%Y-%m}", forms_run_at(month, area)))
    await enqueue_many(conn, TODAY_JOB, today_keys)
    await enqueue_many(conn, PAST_DAY_JOB, past_keys)
    await enqueue_many(conn, MONTHLY_JOB, month_keys)
    await enqueue_many(conn, FORMS_JOB, form_keys)


def _day_slots(days: list[date]) -> list[tuple[date, int]]:
    return [(d, s) for d in days for s in range(1, 49)]


async def days_with_files(conn: AsyncConnection, area: str, days: list[date]) -> list[date]:
    """Of `days`, those whose past-day files or any of whose today files exist (an ingest of them is a
    correction or a late slot to rebuild)."""
    days = sorted(set(days))
    past = set(await repo.generated_days(conn, area, days))
    today = await repo.generated_today_slots(conn, area, _day_slots([d for d in days if d not in past]))
    return sorted(past | set(today))


async def readings_changed(conn: AsyncConnection, area: str, point_days: list[tuple[str, date]],
                           now: datetime, day_slots: list[tuple[date, int]] | None = None) -> None:
    """Called by the readings ingestion with the (spid, day) pairs it merged and the (day, slot) pairs
    it touched (None: every slot of those days): each day whose past-day files exist, or whose
    today files of a touched slot exist, is rebuilt for the retailers that supplied those points (a
    new key each time; the payload names the past-day file and the today slots to rebuild)."""
    touched = sorted({d for _, d in point_days})
    past = set(await repo.generated_days(conn, area, touched))
    slots = await repo.generated_today_slots(conn, area, day_slots if day_slots is not None else _day_slots(touched))
    days = sorted(past | set(slots))
    if not days:
        return
    wanted = set(days)
    retailers = await repo.suppliers_on(conn, area, [(s, d) for s, d in point_days if d in wanted])
    stamp = f"{now.astimezone(JST):%Y%m%dT%H%M%S.%f}"
    for day in days:
        if retailers.get(day):
            await enqueue(conn, REBUILD_JOB, f"{area}:{day.isoformat()}:{stamp}", now,
                          {"retailers": retailers[day], "past_day": day in past, "today_slots": slots.get(day, [])})


def _parts(key: str) -> list[str]:
    return key.split(":")


async def today(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    area, day, slot = _parts(payload["_key"])[:3]
    await service.build_day(conn, area, date.fromisoformat(day), now, operation_mode(), slot=int(slot))


async def past_day(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    area, day = _parts(payload["_key"])[:2]
    await service.build_day(conn, area, date.fromisoformat(day), now, operation_mode())


def _month(text: str) -> date:
    return date.fromisoformat(text + "-01")


async def monthly(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    area, day = _parts(payload["_key"])[:2]
    if len(day) == 7:  # a calendar-month key of the releases before per-point reading days: nothing to build
        return
    await service.build_monthly(conn, area, date.fromisoformat(day), now, operation_mode())


async def forms(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    area, month = _parts(payload["_key"])[:2]
    await service.build_forms(conn, area, _month(month), now, operation_mode())


async def rebuild(conn: AsyncConnection, payload: dict[str, Any], now: datetime) -> None:
    """For the retailers named: the day's today files of the slots named, its past-day files (and the
    monthly files of the reading days whose billing periods hold the day, once they exist)."""
    area, day_text = _parts(payload["_key"])[:2]
    day = date.fromisoformat(day_text)
    retailers = payload.get("retailers") or [None]
    past_day = payload.get("past_day", True)  # a key enqueued before today rebuilds existed: past day only
    # the reading days whose billing periods hold the day (one per code), of those built already
    closing = sorted({reading_dates_on_or_after(area, c, day + timedelta(days=1), 1)[0]
                      for c in valid_reading_codes(area)}) if past_day else []
    monthly_days = await repo.months_with_files(conn, area, closing, [t.value for t in MONTHLY_TYPES])
    for retailer in retailers:
        for slot in payload.get("today_slots") or []:
            await service.build_day(conn, area, day, now, operation_mode(), slot=slot, retailer=retailer)
        if past_day:
            await service.build_day(conn, area, day, now, operation_mode(), retailer=retailer)
        for reading_day in monthly_days:
            await service.build_monthly(conn, area, reading_day, now, operation_mode(), retailer=retailer)


HANDLERS = {TODAY_JOB: today, PAST_DAY_JOB: past_day, MONTHLY_JOB: monthly, FORMS_JOB: forms, REBUILD_JOB: rebuild}
