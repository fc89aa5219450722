"""The JSON rendering of a metering file (metering.md: offered next to the XML for new integrations).

Same content as the XML, point by point (past-day files too: a point's 48 slots together):
`{"header": {...}, "points": [...]}` with kWh as strings of exactly 4 decimals (never JSON numbers,
so no parser turns them into floats) and `null` for a slot not received. It is written in chunks to
a gzip stream; the SHA-256 of the `points` part (plus the header fields that identify the content)
is what a rebuild compares to decide whether a new revision is needed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO

from switchhub.area.metering.model import Day, Document, Header, MonthlyPoint, Point, Reading
from switchhub.area.metering.xmlwriter import MonthlyRow, PointRow, kwh_text
from switchhub.contract.metering import FORM_TYPES, MONTHLY_TYPES, FileType

COMPRESS_LEVEL = 1  # gzip level of the stored JSON rendering: 1 is ~3× faster than 6 (docs/benchmarks.md)


def header_json(h: Header) -> dict[str, Any]:
    by_month = h.type in FORM_TYPES  # a monthly billing file has its reading day as target_date
    return {"type": h.type.value, "info_type": h.info_type, "operation_mode": h.operation_mode,
            "sender_code": h.sender_code, "sender_name": h.sender_name, "receiver_code": h.receiver_code,
            "created_at": h.created_at.isoformat(),
            "target_month" if by_month else "target_date": h.target.strftime("%Y-%m") if by_month else h.target.isoformat(),
            "slot": h.slot, "sequence": h.sequence, "revision": h.revision}


def _kwhs(values) -> list[str | None]:  # type: ignore[no-untyped-def]
    return [v if v is None or v.__class__ is str else kwh_text(v) for v in values]


def _statuses(values) -> list[int | None]:  # type: ignore[no-untyped-def]
    return [None if v is None else int(v) for v in values]


def point_json(p: PointRow) -> dict[str, Any]:
    return {"spid": p.spid, "customer_code": p.customer_code, "customer_name": p.customer_name,
            "management_no": p.management_no, "kwh": _kwhs(p.kwh), "status": _statuses(p.status)}


def monthly_json(p: MonthlyRow) -> dict[str, Any]:
    return {"spid": p.spid, "customer_code": p.customer_code, "customer_name": p.customer_name,
            "point_name": p.point_name, "voltage_name": p.voltage_name, "provided": p.provided,
            "power_factor": p.power_factor, "meter_class": p.meter_class, "total_kwh": kwh_text(p.total_kwh),
            "confirmed_kwh": kwh_text(p.confirmed_kwh), "max_demand_kw": kwh_text(p.max_demand_kw),
            "next_reading_date": p.next_reading_date.isoformat() if p.next_reading_date else None,
            "days": [{"date": day.isoformat(), "kwh": _kwhs(kwh), "status": _statuses(st)} for day, kwh, st in p.days]}


def content_key(h: Header) -> bytes:
    """The header fields a revision keeps (not created_at, not the revision number)."""
    return json.dumps([h.type.value, h.operation_mode, h.sender_code, h.receiver_code, h.target.isoformat(), h.slot,
                       h.sequence]).encode()


def write_json(out: BinaryIO, header: Header, points: Iterable[PointRow] | Iterable[MonthlyRow]) -> str:
    """Write the gzip'd JSON; returns the content hash (hex)."""
    digest = hashlib.sha256(content_key(header))
    render = monthly_json if header.type in MONTHLY_TYPES else point_json
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=COMPRESS_LEVEL, mtime=0) as gz:
        gz.write(('{"header": ' + json.dumps(header_json(header), ensure_ascii=False) + ', "points": [').encode())
        first = True
        for p in points:
            chunk = (("" if first else ", ") + json.dumps(render(p), ensure_ascii=False)).encode()  # type: ignore[arg-type]
            first = False
            digest.update(chunk)
            gz.write(chunk)
        gz.write(b"]}\n")
    return digest.hexdigest()


def _dec(v: str | None) -> Decimal | None:
    return None if v is None else Decimal(v)


def to_document(doc: dict[str, Any], header: Header) -> Document:
    """The JSON rendering as the reader's typed records (round-trip tests compare it to the XML's)."""
    t = FileType(doc["header"]["type"])
    if t in MONTHLY_TYPES:
        points: list[Any] = [MonthlyPoint(
            p["spid"], p["customer_code"], p["customer_name"], p["point_name"], p["voltage_name"], p["provided"],
            p["power_factor"], p["meter_class"], Decimal(p["total_kwh"]), _dec(p["confirmed_kwh"]),
            _dec(p["max_demand_kw"]), None if p["next_reading_date"] is None else
            date.fromisoformat(p["next_reading_date"]),
            tuple(Day(date.fromisoformat(d["date"]),
                      tuple(Reading(s, _dec(k)) for k, s in zip(d["kwh"], d["status"]))) for d in p["days"]))
            for p in doc["points"]]
    else:
        points = [Point(p["spid"], p["customer_code"], p["customer_name"], p["management_no"],
                        tuple(Reading(s, _dec(k)) for k, s in zip(p["kwh"], p["status"]))) for p in doc["points"]]
    return Document(header, tuple(points))
