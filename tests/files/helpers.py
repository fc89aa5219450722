"""Helpers for the hub's metering file tests: files published in the area, delivered to the hub.

`publish` stores one file in the area database and emits its `metering.file_published` event in
the same transaction, as the area's file builder does; `deliver_events` posts the outbox to the
hub exactly as the area worker does (area certificate). What the area stored is read back from
the area database, so download checks compare against the area's bytes, not the test's.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date, datetime
from typing import Any

from sqlalchemy import text

from switchhub.area.metering import repository as area_files
from switchhub.area.outbox.dispatcher import deliver
from switchhub.area.outbox.repository import emit
from switchhub.contract.events import MeteringFilePublished
from switchhub.kernel.clock import JST
from tests.support import area_poster


def _zip(name: str, xml: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name.removesuffix(".zip") + ".xml", xml)
    return buf.getvalue()


def _area_engine(stack):
    """The area database of an in-process stack, or of live servers (`live_area_engine`)."""
    return stack.area_app.state.engine if hasattr(stack, "area_app") else stack.area_engine


async def publish(stack, *, retailer: str = "A0001", area: str = "03", type_: str = "W41120",
                  target: date = date(2026, 11, 30), revision: int = 1, supersedes: str | None = None,
                  points: int = 3, sequence: int = 1) -> str:
    """One stored file and its event (not yet delivered); the file id as the area names it."""
    ymd = target.strftime("%Y%m%d")
    name = f"{type_}_{ymd}_0000_{sequence:03d}_r{revision}.zip"
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><SBD-MSG><JPMGRP><JPTRM><JP06112>{retailer}</JP06112>'
           f"<JP06116>{ymd}</JP06116><rev>{revision}</rev></JPTRM></JPMGRP></SBD-MSG>")
    body = _zip(name, xml)
    doc = json.dumps({"type": type_, "target_date": target.isoformat(), "revision": revision}).encode()
    import gzip

    created = datetime(2026, 12, 1, 6, 0, tzinfo=JST)
    async with _area_engine(stack).begin() as conn:
        row = await area_files.insert_file(conn, {
            "area": area, "retailer_code": retailer, "type": type_, "target": target, "slot": 0,
            "sequence": sequence, "revision": revision, "name": name, "operation_mode": "0", "zip": body,
            "json": gzip.compress(doc), "sha256": hashlib.sha256(body).hexdigest(),
            "content_sha256": hashlib.sha256(xml.encode()).hexdigest(), "points": points, "created_at": created,
            "supersedes": int(supersedes.split("-")[1]) if supersedes else None})
        file_id = f"{area}-{row['id']:06d}"
        await emit(conn, area, MeteringFilePublished(
            file_id=file_id, area=area, retailer_code=retailer, type=type_, target_date=target.isoformat(),
            sequence=sequence, revision=revision, name=name, position=row["id"], supersedes=supersedes,
            points=points, size_bytes=len(body), sha256=hashlib.sha256(body).hexdigest(), operation_mode="0",
            created_at=created.isoformat()))
    return file_id


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
