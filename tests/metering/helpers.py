"""Helpers for the metering tests: the area app with the hub's certificate, an acting operator,
readings ingested through the area's API, and the metering jobs run by the job runner."""

from __future__ import annotations

from datetime import date, datetime

import httpx
from lxml import etree

from switchhub.area.metering import tasks as metering_tasks
from switchhub.contract.metering import schema_xsd
from switchhub.db.jobs import run_due
from tests.support import execute, with_client_cert

T0300 = {"X-Switchhub-Operator": "T0300", "X-Switchhub-Operator-Kind": "tso", "X-Switchhub-Operator-Areas": "03",
         "X-Switchhub-User": "t0300-api"}


def acting(code: str, kind: str = "retailer", areas: str = "03") -> dict[str, str]:
    return {"X-Switchhub-Operator": code, "X-Switchhub-Operator-Kind": kind, "X-Switchhub-Operator-Areas": areas,
            "X-Switchhub-User": f"{code.lower()}-api"}


def area_client(stack) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=with_client_cert(stack.area_app, stack.world.hub_client.pem))
    return httpx.AsyncClient(transport=transport, base_url="https://area.test")


async def ingest(stack, rows: list[dict]) -> dict:
    async with area_client(stack) as c:
        r = await c.post("/area/v1/readings:ingest", json={"area": "03", "rows": rows}, headers=T0300)
    assert r.status_code == 200, r.text
    return r.json()


async def run_metering_jobs(stack, now: datetime, engine=None) -> int:
    return await run_due(engine or stack.area_app.state.engine, metering_tasks.HANDLERS, now)


def supplied(stack, retailer: str, day: date, channels: tuple[str, ...] = ("low", "low_fit")) -> list[str]:
    """The spec's rule, written out: the points the retailer supplied on the day (periods inclusive)."""
    rows = execute(stack.area_url, "SELECT trim(s.spid) FROM supply_periods s JOIN supply_points p"
                                   " ON p.area = s.area AND p.spid = s.spid WHERE s.area = '03'"
                                   " AND s.retailer_code = %s AND s.valid_from <= %s"
                                   " AND (s.valid_to IS NULL OR s.valid_to >= %s) AND p.channel = ANY(%s)"
                                   " ORDER BY 1", (retailer, day, day, list(channels)))
    return [r[0] for r in rows]


def files(stack, **where) -> list[dict]:
    cond = " AND ".join(f"{k} = %s" for k in where) or "true"
    rows = execute(stack.area_url, "SELECT id, retailer_code, type, target, slot, sequence, revision, name,"
                                   " operation_mode, points, supersedes FROM metering_files WHERE " + cond
                                   + " ORDER BY id", tuple(where.values()))
    keys = ("id", "retailer_code", "type", "target", "slot", "sequence", "revision", "name", "operation_mode",
            "points", "supersedes")
    return [dict(zip(keys, r)) for r in rows]


def xsd() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(schema_xsd()))


def quiet(stack, spids: list[str], d0: date, d1: date) -> list[str]:
    """Of `spids`, those without generated 30-minute readings in [d0, d1] (the world's readings,
    generate/readings.py, give half-hourly series to the first points of every retailer)."""
    rows = execute(stack.area_url, "SELECT DISTINCT trim(spid) FROM readings_30min WHERE area = '03'"
                                   " AND spid = ANY(%s) AND reading_date BETWEEN %s AND %s", (spids, d0, d1))
    read = {r[0] for r in rows}
    return [s for s in spids if s not in read]
