"""Helpers for the hub's metering file tests: files built in the area, delivered to the hub.

`build` runs the area's own file builder (it stores each file and emits its
`metering.file_published` event in one transaction); `deliver_events` posts the outbox to the
hub exactly as the area worker does (area certificate). What the area stored is read back from
the area database, so download checks compare against the area's bytes, not the test's.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import text

from switchhub.area.metering import service as area_service
from switchhub.area.outbox.dispatcher import deliver
from switchhub.kernel.calendar import reading_date
from switchhub.kernel.clock import JST
from tests.support import area_poster


def _area_engine(stack):
    """The area database of an in-process stack, or of live servers (`LiveArea`)."""
    return stack.area_app.state.engine if hasattr(stack, "area_app") else stack.area_engine


BUILT_AT = datetime(2026, 12, 1, 9, 0, tzinfo=JST)


async def reading_day(stack, month: date, retailer: str = "A0001", area: str = "03") -> date:
    """A reading day in `month` that closes the billing period of the retailer's first low-voltage point
    (kernel/calendar, its reading-day code): the monthly files of that day hold the point."""
    async with _area_engine(stack).connect() as conn:
        code = (await conn.execute(text(
            "SELECT p.reading_day_code FROM supply_points p JOIN supply_periods s ON s.area = p.area"
            " AND s.spid = p.spid AND s.valid_to IS NULL WHERE p.area = :a AND s.retailer_code = :r"
            " AND p.channel = 'low' ORDER BY p.spid LIMIT 1"), {"a": area, "r": retailer})).scalar_one()
    return reading_date(area, code, month.year, month.month)


async def build(stack, target: date, *, kind: str = "past_day", retailer: str | None = "A0001", slot: int = 20,
                now: datetime = BUILT_AT, area: str = "03") -> list[dict[str, Any]]:
    """The area's own builder (area/metering/service.py, what its keyed jobs run): the files of one
    day (past day, or one `slot` of today) or one reading day's monthly files, stored and announced through the
    outbox in one transaction. Returns the stored files as the area lists them."""
    async with _area_engine(stack).begin() as conn:
        if kind == "monthly":
            return await area_service.build_monthly(conn, area, target, now, "1", retailer=retailer)
        return await area_service.build_day(conn, area, target, now, "1", retailer=retailer,
                                            slot=slot if kind == "today" else None)


async def deliver_events(stack) -> int:
    if hasattr(stack, "area_app"):
        return await deliver(stack.area_app.state.engine, area_poster(stack))
    return await deliver(stack.area_engine, stack.poster)


async def stored(stack, file_id: str) -> dict[str, Any]:
    """The area's own row of a file: its ZIP bytes and the JSON it serves (gzip'd at rest)."""
    import gzip

    async with _area_engine(stack).connect() as conn:
        row = (await conn.execute(text("SELECT zip, json, name, revision FROM metering_files WHERE id = :id"),
                                  {"id": int(file_id.split("-")[1])})).one()
    return {"zip": bytes(row.zip), "json": json.loads(gzip.decompress(bytes(row.json))), "name": row.name,
            "revision": row.revision}


class LiveArea:
    """The live servers' area database and the area worker's HTTPS poster (area certificate), for
    tests that publish files into a running system; use as `async with LiveArea(live) as area`."""

    def __init__(self, live) -> None:
        self.live = live

    async def __aenter__(self) -> "LiveArea":
        from switchhub.area.outbox.dispatcher import https_poster
        from switchhub.db.engine import make_engine
        from tests.live import ca_file

        ident = self.live.world.area_client
        self.area_engine = make_engine(self.live.area_db, pool_size=2)
        self.poster = https_poster(self.live.hub_base, (str(ident.cert), str(ident.key)), str(ca_file(self.live.world)))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.poster.aclose()
        await self.area_engine.dispose()
