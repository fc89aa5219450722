"""The project's own reader of its metering XML: typed records with `Decimal` values.

It streams (iterparse, clearing each record once read) and checks the structure the type
requires; it is what the round-trip tests compare against what was generated, and what a
retailer's integration can use as a reference parser.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO
from xml.etree.ElementTree import Element, iterparse

from switchhub.area.metering.model import Day, Document, Header, MonthlyPoint, Point, Reading
from switchhub.contract.metering import PAST_DAY_TYPES, TODAY_TYPES, FileType
from switchhub.kernel.clock import JST


class MeteringFormatError(ValueError):
    pass


def _d8(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _txt(el: Element, tag: str) -> str | None:
    child = el.find(tag)
    return None if child is None else (child.text or "")


def _req(el: Element, tag: str) -> str:
    value = _txt(el, tag)
    if value is None:
        raise MeteringFormatError(f"{el.tag} has no {tag}")
    return value


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _int(text: str | None) -> int | None:
    return None if text is None else int(text)


def _header(mgh: Element, trm: dict[str, str], file_type: FileType) -> Header:
    def need(tag: str) -> str:
        if tag not in trm:
            raise MeteringFormatError(f"JPTRM has no {tag}")
        return trm[tag]

    month = trm.get("JP06401")
    target = date(int(month[:4]), int(month[4:6]), 1) if month else _d8(need("JP06116"))
    slot = trm.get("JP06219")
    return Header(type=file_type, operation_mode=_req(mgh, "MODE"), sender_code=need("JP06110"),
                  sender_name=need("JP06111"), receiver_code=need("JP06112"),
                  created_at=datetime.strptime(_req(mgh, "CREATED"), "%Y%m%d%H%M%S").replace(tzinfo=JST),
                  target=target, slot=int(slot) if slot else None, sequence=int(_req(mgh, "SEQUENCE")),
                  revision=int(_req(mgh, "REVISION")))


_TYPES = {t.value[1:5]: t for t in FileType if t.value.startswith("W")}
_ROOT = ["SBD-MSG", "JPMGRP"]


def _kwh_tag(el: Element) -> str | None:
    value = _txt(el, "JP06123")
    return _txt(el, "JP06125") if value is None else value


def _point(rec: Element, reading: Reading) -> Point:
    return Point(_req(rec, "JP06400"), _req(rec, "JP06119"), _req(rec, "JP06120"), _req(rec, "JP06121"), (reading,))


def read_xml(stream: BinaryIO) -> Document:
    """Parse one metering XML (streaming): the header and the points, in file order."""
    path: list[str] = []
    mgh: Element | None = None
    trm: dict[str, str] = {}
    header: Header | None = None
    records: list[Point | MonthlyPoint] = []
    past: dict[str, list[Reading | None]] = {}
    firsts: dict[str, Point] = {}
    for event, el in iterparse(stream, events=("start", "end")):
        if event == "start":
            path.append(el.tag)
            if len(path) == 4 and path[:3] == [*_ROOT, "JPTRM"] and el.tag == "JPM00010":
                if mgh is None:
                    raise MeteringFormatError("JPMGH comes before JPTRM")
                code = _req(mgh, "INFOTYPE")
                if code not in _TYPES or trm.get("JP00002") != code:
                    raise MeteringFormatError(f"unknown or inconsistent information type {code}")
                header = _header(mgh, trm, _TYPES[code])
            continue
        if path[:2] != _ROOT and len(path) >= 2:
            raise MeteringFormatError(f"unexpected root {path[:2]}")
        if len(path) == 3 and el.tag == "JPMGH":
            mgh = el
        elif len(path) == 4 and path[2] == "JPTRM" and el.tag != "JPM00010":
            trm[el.tag] = el.text or ""
        elif len(path) == 5 and el.tag == "JPMR00010":
            assert header is not None
            if header.type in TODAY_TYPES:
                records.append(_point(el, Reading(_int(_txt(el, "JP06122")), _dec(_kwh_tag(el)))))
            elif header.type in PAST_DAY_TYPES:
                slot = int(_req(el, "JP06219"))
                for rec in el.iter("JPMR00011"):
                    spid = _req(rec, "JP06400")
                    if spid not in past:
                        past[spid] = [None] * 48
                        firsts[spid] = _point(rec, Reading(None, None))
                    past[spid][slot - 1] = Reading(_int(_txt(rec, "JP06122")), _dec(_kwh_tag(rec)))
            else:
                records.append(_monthly_point(el))
            el.clear()
        path.pop()
    if header is None:
        raise MeteringFormatError("no JPTRM/JPM00010")
    if header.type in PAST_DAY_TYPES:
        for spid, readings in past.items():
            missing = [i + 1 for i, r in enumerate(readings) if r is None]
            if missing:
                raise MeteringFormatError(f"{spid} has no record for slots {missing}")
            first = firsts[spid]
            records.append(Point(first.spid, first.customer_code, first.customer_name, first.management_no,
                                 tuple(readings)))  # type: ignore[arg-type]
    return Document(header, tuple(records))  # type: ignore[arg-type]


def _monthly_point(el: Element) -> MonthlyPoint:
    days = []
    for rec in el.iter("JPMR00013"):
        slots: list[Reading] = [Reading(None, None)] * 48
        for s in rec.iter("JPMR00014"):
            slots[int(_req(s, "JP06219")) - 1] = Reading(_int(_txt(s, "JP06425")), _dec(_txt(s, "JP06424")))
        days.append(Day(_d8(_req(rec, "JP06423")), tuple(slots)))
    nrd = _txt(el, "JP06446")
    return MonthlyPoint(
        spid=_req(el, "JP06400"), customer_code=_req(el, "JP06119"), customer_name=_req(el, "JP06120"),
        point_name=_req(el, "JP06402"), voltage_name=_req(el, "JP06403"), provided=_req(el, "JP06405"),
        power_factor=_int(_txt(el, "JP06406")), meter_class=_req(el, "JP06407"),
        total_kwh=Decimal(_req(el, "JP06426")), confirmed_kwh=_dec(_txt(el, "JP06427")),
        max_demand_kw=_dec(_txt(el, "JP06445")), next_reading_date=_d8(nrd) if nrd else None, days=tuple(days))


def read_zip(data: bytes) -> tuple[str, Document]:
    """The one XML of a metering ZIP: (its name, its content)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        if len(names) != 1 or not names[0].endswith(".xml"):
            raise MeteringFormatError(f"a metering ZIP holds exactly one XML, not {names}")
        with zf.open(names[0]) as f:
            return names[0], read_xml(f)


def iter_points(doc: Document) -> Iterator[Point | MonthlyPoint]:
    yield from doc.points
