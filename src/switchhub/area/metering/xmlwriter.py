"""Streaming XML writer of the metering files (SBD-MSG → JPMGRP → JPMGH + JPTRM, metering.md).

Files for a big retailer are large (a past-day file of 10,000 points has 480,000 point records),
so nothing builds a DOM: each writer emits text in chunks to a binary stream (the ZIP entry).
Values are written as given when they are already text in the canonical form (what PostgreSQL
prints for numeric(10,4): exactly 4 decimals) and formatted from `Decimal` otherwise — never
through float. Encoding: UTF-8 (docs/metering.md: customer names outside JIS X 0208 exist).

Input rows (`PointRow`, `MonthlyRow`) are plain tuples so a day of 1 M points does not create
48 M objects; the reader returns the typed records of model.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import BinaryIO, NamedTuple
from xml.sax.saxutils import escape

from switchhub.area.metering.model import Header
from switchhub.contract.metering import HIGH_TYPES, PAST_DAY_TYPES

KwhValue = str | Decimal | None
StatusValue = int | str | None
_Q4 = Decimal("0.0001")
# characters XML 1.0 cannot carry (controls, surrogates, U+FFFE/U+FFFF): replaced by U+FFFD so that one
# bad name in the master data cannot make a whole file unreadable (docs/metering.md)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", value))
_CHUNK = 1 << 20


class PointRow(NamedTuple):
    """A point of a 30-minute file: values for one slot (today) or 48 (past day)."""
    spid: str
    customer_code: str
    customer_name: str
    management_no: str
    kwh: Sequence[KwhValue]
    status: Sequence[StatusValue]


class MonthlyRow(NamedTuple):
    spid: str
    customer_code: str
    customer_name: str
    point_name: str
    voltage_name: str
    provided: str
    power_factor: int | None
    meter_class: str
    total_kwh: KwhValue
    confirmed_kwh: KwhValue
    max_demand_kw: KwhValue
    next_reading_date: date | None
    days: Sequence[tuple[date, Sequence[KwhValue], Sequence[StatusValue]]]  # the covered days in order


def dec4(value: Decimal | str) -> str:
    """A kWh/kW value with exactly 4 decimals; a value that would need rounding is refused."""
    d = value if isinstance(value, Decimal) else Decimal(value)
    q = d.quantize(_Q4)
    if q != d or d.is_signed() and d != 0:
        raise ValueError(f"not a non-negative decimal with at most 4 decimals: {value!r}")
    return format(q.copy_abs() if q == 0 else q, "f")


def kwh_text(value: KwhValue) -> str | None:
    if value is None or value.__class__ is str:
        return value  # type: ignore[return-value]
    return dec4(value)  # type: ignore[arg-type]


class _Out:
    def __init__(self, out: BinaryIO) -> None:
        self.out, self.parts, self.size = out, [], 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size > _CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.out.write("".join(self.parts).encode("utf-8"))
            self.parts, self.size = [], 0


def head(h: Header) -> str:
    target = f"<JP06116>{h.target:%Y%m%d}</JP06116>"  # a monthly file's: its reading day (JP06401 not written)
    slot = f"<JP06219>{h.slot:02d}</JP06219>" if h.slot is not None else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<SBD-MSG><JPMGRP><JPMGH>'
            f"<MODE>{h.operation_mode}</MODE><SENDER>{h.sender_code}</SENDER><RECEIVER>{h.receiver_code}</RECEIVER>"
            f"<INFOTYPE>{h.info_type}</INFOTYPE><CREATED>{h.created_at:%Y%m%d%H%M%S}</CREATED>"
            f"<SEQUENCE>{h.sequence}</SEQUENCE><REVISION>{h.revision}</REVISION></JPMGH>"
            f"<JPTRM><JP00002>{h.info_type}</JP00002><JP06110>{h.sender_code}</JP06110>"
            f"<JP06111>{xml_text(h.sender_name)}</JP06111><JP06112>{h.receiver_code}</JP06112>{target}{slot}<JPM00010>")


_TAIL = "</JPM00010></JPTRM></JPMGRP></SBD-MSG>\n"


def tail() -> str:
    return _TAIL

_SLOT_OPEN = tuple(f"<JPMR00014><JP06219>{s:02d}</JP06219>" for s in range(1, 49))


def point_open(p: PointRow, record: str) -> str:
    return (f"<{record}><JP06400>{p.spid}</JP06400><JP06119>{xml_text(p.customer_code)}</JP06119>"
            f"<JP06120>{xml_text(p.customer_name)}</JP06120><JP06121>{xml_text(p.management_no)}</JP06121>")


def _value(status: StatusValue, kwh: KwhValue, tag: str) -> str:
    k = kwh_text(kwh)
    return ((f"<JP06122>{status}</JP06122>" if status is not None else "")
            + (f"<{tag}>{k}</{tag}>" if k is not None else ""))


def write_today(out: BinaryIO, header: Header, points: Iterable[PointRow]) -> int:
    """W40110/W41110: one slot (JPTRM/JP06219), one JPMR00010 per point. Returns the point count."""
    tag = "JP06123" if header.type in HIGH_TYPES else "JP06125"
    w, n = _Out(out), 0
    w.add(head(header))
    for p in points:
        w.add(point_open(p, "JPMR00010") + _value(p.status[0], p.kwh[0], tag) + "</JPMR00010>")
        n += 1
    w.add(_TAIL)
    w.flush()
    return n


def write_past_day(out: BinaryIO, header: Header, points: Sequence[PointRow]) -> int:
    """W40120/W41120: JPMR00010 per slot (JP06219) → JPMR00011 per point (all 48 slots)."""
    assert header.type in PAST_DAY_TYPES
    tag = "JP06123" if header.type in HIGH_TYPES else "JP06125"
    opens = [point_open(p, "JPMR00011") for p in points]
    w = _Out(out)
    w.add(head(header))
    for s in range(48):
        w.add(f"<JPMR00010><JP06219>{s + 1:02d}</JP06219><JPM00011>")
        for opened, p in zip(opens, points):
            st, k = p.status[s], p.kwh[s]
            if k is not None and k.__class__ is not str:
                k = dec4(k)  # type: ignore[arg-type]
            w.add(opened + (f"<JP06122>{st}</JP06122>" if st is not None else "")
                  + (f"<{tag}>{k}</{tag}></JPMR00011>" if k is not None else "</JPMR00011>"))
        w.add("</JPM00011></JPMR00010>")
    w.add(_TAIL)
    w.flush()
    return len(points)


def monthly_open(p: MonthlyRow) -> str:
    """A monthly point's record up to its days (the monthly values)."""
    opt = ((f"<JP06406>{p.power_factor}</JP06406>" if p.power_factor is not None else "")
           + f"<JP06407>{xml_text(p.meter_class)}</JP06407><JP06426>{kwh_text(p.total_kwh)}</JP06426>"
           + (f"<JP06427>{kwh_text(p.confirmed_kwh)}</JP06427>" if p.confirmed_kwh is not None else "")
           + (f"<JP06445>{kwh_text(p.max_demand_kw)}</JP06445>" if p.max_demand_kw is not None else "")
           + (f"<JP06446>{p.next_reading_date:%Y%m%d}</JP06446>" if p.next_reading_date else ""))
    return (f"<JPMR00010><JP06400>{p.spid}</JP06400><JP06119>{xml_text(p.customer_code)}</JP06119>"
            f"<JP06120>{xml_text(p.customer_name)}</JP06120><JP06402>{xml_text(p.point_name)}</JP06402>"
            f"<JP06403>{xml_text(p.voltage_name)}</JP06403><JP06405>{p.provided}</JP06405>{opt}<JPM00013>")


def write_monthly(out: BinaryIO, header: Header, points: Iterable[MonthlyRow]) -> int:
    """W51210/W51220: per point the monthly values, then JPMR00013 per day → JPMR00014 per slot."""
    w, n = _Out(out), 0
    w.add(head(header))
    for p in points:
        w.add(monthly_open(p))
        for day, kwh, status in p.days:
            parts = [f"<JPMR00013><JP06423>{day:%Y%m%d}</JP06423><JPM00014>"]
            for opened, k, st in zip(_SLOT_OPEN, kwh, status):
                if k is not None and k.__class__ is not str:
                    k = dec4(k)  # type: ignore[arg-type]
                parts.append(opened + ("" if k is None else f"<JP06424>{k}</JP06424>")
                             + ("</JPMR00014>" if st is None else f"<JP06425>{st}</JP06425></JPMR00014>"))
            parts.append("</JPM00014></JPMR00013>")
            w.add("".join(parts))
        w.add("</JPM00013></JPMR00010>")
        n += 1
    w.add(_TAIL)
    w.flush()
    return n
