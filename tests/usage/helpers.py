"""Helpers for usage password tests: points with a known current customer, readings put in by plain
INSERTs, the request body, running the usage jobs and delivering the area's events."""

from __future__ import annotations

import base64
from datetime import date, timedelta

from switchhub.area.outbox.dispatcher import deliver
from switchhub.area.usage.tasks import HANDLERS as USAGE_JOBS
from switchhub.db.jobs import run_due
from switchhub.kernel.clock import get_clock
from tests.hub.helpers import area_template_url
from tests.support import area_poster, execute

#: PNG and PDF signatures (the formats' own magic bytes) with a little body
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
CUSTOMER = {"customer_name_kana": "ヨウリョウ タロウ", "customer_name_kanji": "用量 太郎"}
ADDRESS = {"prefecture": "東京都", "city": "新宿区", "town": "西新宿", "block": "2丁目8番1号", "building": "",
           "room": ""}
ADDRESS_LINE = "東京都新宿区西新宿2-8-1"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def points(world, n: int, *, channel: str = "low", smart: bool | None = True, area: str = "03", skip: int = 0
           ) -> list[str]:
    """`n` supplied points of `area` with an open customer period (generated data)."""
    smart_sql = "" if smart is None else (" AND p.meters @> '[{\"smart\": true}]'" if smart
                                          else " AND NOT p.meters @> '[{\"smart\": true}]'")
    rows = execute(area_template_url(world),
                   "SELECT p.spid FROM supply_points p JOIN customer_periods c ON c.area = p.area AND c.spid = p.spid"
                   " AND c.valid_to IS NULL WHERE p.area = %s AND p.channel = %s AND p.contract_status = '1'"
                   f"{smart_sql} ORDER BY p.spid OFFSET %s LIMIT %s", (area, channel, skip, n))
    assert len(rows) == n
    return [r[0] for r in rows]


def make_customer(stack, spids: list[str], *, kana: str = CUSTOMER["customer_name_kana"],
                  kanji: str = CUSTOMER["customer_name_kanji"], address: dict | None = None) -> None:
    """Give the points one customer (their open period's names) at one address (the point master), and
    no readings but those the test puts in (the test world generates readings for some points)."""
    a = {**ADDRESS, **(address or {})}
    for spid in spids:
        execute(stack.area_url, "DELETE FROM readings_monthly WHERE spid = %s", (spid,))
        execute(stack.area_url, "DELETE FROM readings_30min WHERE spid = %s", (spid,))
        execute(stack.area_url, "UPDATE customer_periods SET name_kana = %s, name_kanji = %s"
                " WHERE spid = %s AND valid_to IS NULL", (kana, kanji, spid))
        execute(stack.area_url, "UPDATE supply_points SET prefecture = %s, city = %s, town = %s, block = %s,"
                " building = %s, room = %s WHERE spid = %s",
                (a["prefecture"], a["city"], a["town"], a["block"], a["building"], a["room"], spid))


def new_period(stack, spid: str, start: date, *, kana: str = CUSTOMER["customer_name_kana"],
               kanji: str = CUSTOMER["customer_name_kanji"]) -> None:
    """A move-in / name change: the open customer period ends the day before `start`, a new one begins."""
    execute(stack.area_url, "UPDATE customer_periods SET valid_to = %s WHERE spid = %s AND valid_to IS NULL",
            (start - timedelta(days=1), spid))
    execute(stack.area_url, "INSERT INTO customer_periods (area, spid, name_kana, name_kanji, valid_from)"
            " VALUES (%s, %s, %s, %s, %s)", (spid[:2], spid, kana, kanji, start))


def put_month(stack, spid: str, month: date, kwh: str, max_kw: str | None = None, pf: int | None = None,
              next_reading: date | None = None) -> None:
    execute(stack.area_url, "INSERT INTO readings_monthly (area, spid, billing_month, kwh, max_demand_kw, power_factor,"
            " next_reading_date) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (spid[:2], spid, month, kwh, max_kw, pf, next_reading))


def put_day(stack, spid: str, day: date, kwh: list[str | None], status: list[int] | None = None) -> None:
    execute(stack.area_url, "SELECT readings_month_partition(%s)", (day,))
    literal = "{" + ",".join("NULL" if v is None else v for v in kwh) + "}"
    execute(stack.area_url, "INSERT INTO readings_30min (area, spid, reading_date, kwh, status)"
            " VALUES (%s, %s, %s, array_to_string(%s::numeric(10,4)[], ',', ''), %s::smallint[])",
            (spid[:2], spid, day, literal, "{" + ",".join(str(s) for s in (status or [0] * 48)) + "}"))


def body(spids: list[str], **over) -> dict:
    return {"spids": spids, "validity_days": 7, **CUSTOMER, "address": ADDRESS_LINE, "phone": "090-1234-5678",
            "consent_date": "2026-11-20", **over}


def rows(stack, sql: str, params: tuple = ()) -> list[tuple]:
    return execute(stack.area_url, sql, params)


async def run_usage_jobs(stack) -> int:
    return await run_due(stack.area_app.state.engine, USAGE_JOBS, get_clock().now())


async def deliver_events(stack) -> int:
    return await deliver(stack.area_app.state.engine, area_poster(stack))
