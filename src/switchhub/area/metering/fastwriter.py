"""Fast path of the past-day and monthly files: the 48 values of a point-day stay text — the kWh as
stored (`0.1234,,…`: numeric(10,4)'s print, an empty field for a slot not received; area 0013), the
statuses as PostgreSQL's array text (`{0,NULL,…}`) — and are turned into XML and JSON by C-level
bytes/str operations (split, join, replace, map) instead of a Python step per slot.

Why: a past-day set of 1 M points is 48 M slot records and a monthly file 1,440 per point; the
reference writer (xmlwriter/jsonrender) spends most of its time in per-slot Python. The output is
byte-identical to the reference writer's (tests/metering/test_fast_path.py compares both on samples
with missing slots, missing statuses, points without readings, names to escape): the XML is built as
UTF-8 bytes (no encode of the big ASCII parts), a slot not received is first written as `NULL` and the
element `<tag>NULL</tag>` removed by one `bytes.replace` — no real value can be `NULL` and a name or
code cannot contain `<` unescaped, so only the writer's own elements match.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Sequence
from datetime import date
from itertools import chain, repeat
from typing import BinaryIO, NamedTuple

from switchhub.area.metering import jsonrender
from switchhub.area.metering.model import Header
from switchhub.area.metering.xmlwriter import MonthlyRow, head, monthly_open, point_open, tail
from switchhub.contract.metering import HIGH_TYPES, MONTHLY_TYPES, PAST_DAY_TYPES

SLOTS = 48
_NULLS = (b"NULL",) * SLOTS
_JSON_NULLS = "[" + ", ".join(["null"] * SLOTS) + "]"


class RawPoint(NamedTuple):
    """A past-day point with its day's kWh as stored and status as array text (None: no reading row)."""
    spid: str
    customer_code: str
    customer_name: str
    management_no: str
    kwh: str | None
    status: str | None


def kwh_items(stored: str | None) -> list[bytes] | tuple[bytes, ...]:
    """The 48 fields of a day's stored kWh text as bytes (`NULL` for a slot not received): empty
    fields become `NULL` by two passes of replace (the first leaves every other one of a run)."""
    if stored is None:
        return _NULLS
    got = ("," + stored + ",").replace(",,", ",NULL,").replace(",,", ",NULL,")[1:-1].encode().split(b",")
    if len(got) != SLOTS:
        raise ValueError(f"a day has {SLOTS} slots, got {len(got)}")
    return got


def items(array_text: str | None) -> list[bytes] | tuple[bytes, ...]:
    """The 48 elements of an array's text as bytes (`NULL` for a slot not received)."""
    if array_text is None:
        return _NULLS
    got = array_text[1:-1].encode().split(b",")
    if len(got) != SLOTS:
        raise ValueError(f"a day has {SLOTS} slots, got {len(got)}")
    return got


class _Tags(dict):
    """status text → its element (built on first use; `NULL` → nothing)."""

    def __init__(self, make) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.make = make

    def __missing__(self, key: bytes) -> bytes:
        self[key] = value = self.make(key)
        return value


def write_past_day(out: BinaryIO, header: Header, points: Sequence[RawPoint]) -> int:
    """W40120/W41120 as xmlwriter.write_past_day writes them: per slot, every point's record."""
    assert header.type in PAST_DAY_TYPES
    tag = b"JP06123" if header.type in HIGH_TYPES else b"JP06125"
    k_open, k_close, absent = b"<" + tag + b">", b"</" + tag + b"></JPMR00011>", b"<" + tag + b">NULL</" + tag + b">"
    status = _Tags(lambda s: b"" if s == b"NULL" else b"<JP06122>" + s + b"</JP06122>")
    opens = [point_open(p, "JPMR00011").encode() for p in points]  # type: ignore[arg-type]
    columns = (zip(*[kwh_items(p.kwh) for p in points]), zip(*[items(p.status) for p in points])) if points else (
        [()] * SLOTS, [()] * SLOTS)
    out.write(head(header).encode())
    for s, (kwhs, statuses) in enumerate(zip(*columns)):
        body = b"".join(chain.from_iterable(zip(opens, map(status.__getitem__, statuses), repeat(k_open), kwhs,
                                                repeat(k_close))))
        out.write(b"<JPMR00010><JP06219>%02d</JP06219><JPM00011>" % (s + 1) + body.replace(absent, b"")
                  + b"</JPM00011></JPMR00010>")
    out.write(tail().encode())
    return len(points)


_SLOT_KWH = tuple(b"<JPMR00014><JP06219>%02d</JP06219><JP06424>" % s for s in range(1, SLOTS + 1))
_MONTH_STATUS = _Tags(lambda s: b"</JP06424></JPMR00014>" if s == b"NULL"
                      else b"</JP06424><JP06425>" + s + b"</JP06425></JPMR00014>")
_MONTH_ABSENT = b"<JP06424>NULL</JP06424>"


def write_monthly(out: BinaryIO, header: Header, points: Sequence[MonthlyRow]) -> int:
    """W51210/W51220 as xmlwriter.write_monthly writes them; `days` carry (date, stored kWh text,
    status array text)."""
    out.write(head(header).encode())
    get = _MONTH_STATUS.__getitem__
    for p in points:
        days = b"".join([b"<JPMR00013><JP06423>" + day.strftime("%Y%m%d").encode() + b"</JP06423><JPM00014>"
                         + b"".join(chain.from_iterable(zip(_SLOT_KWH, kwh_items(k), map(get, items(st)))))  # type: ignore[arg-type]
                         + b"</JPM00014></JPMR00013>" for day, k, st in p.days])
        out.write(monthly_open(p).encode() + days.replace(_MONTH_ABSENT, b"") + b"</JPM00013></JPMR00010>")
    out.write(tail().encode())
    return len(points)


# --- JSON (jsonrender's rendering, the same text) ---------------------------------------------------

def kwh_json(stored: str | None) -> str:
    if stored is None:
        return _JSON_NULLS
    return ('["' + stored.replace(",", '", "') + '"]').replace('""', "null")


def status_json(array_text: str | None) -> str:
    if array_text is None:
        return _JSON_NULLS
    return ("[" + array_text[1:-1].replace(",", ", ") + "]").replace("NULL", "null")


def _s(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def point_json(p: RawPoint) -> str:
    return (f'{{"spid": {_s(p.spid)}, "customer_code": {_s(p.customer_code)}, "customer_name": '
            f'{_s(p.customer_name)}, "management_no": {_s(p.management_no)}, "kwh": {kwh_json(p.kwh)}, '
            f'"status": {status_json(p.status)}}}')


def _day_json(day: date, kwh: str | None, status: str | None) -> str:
    return f'{{"date": "{day.isoformat()}", "kwh": {kwh_json(kwh)}, "status": {status_json(status)}}}'


def monthly_json(p: MonthlyRow, head_json) -> str:  # type: ignore[no-untyped-def]
    """`head_json` is jsonrender.monthly_json of the row without its days (the scalar fields)."""
    return (json.dumps(head_json(p._replace(days=())), ensure_ascii=False)[:-len('[]}')]
            + "[" + ", ".join([_day_json(*d) for d in p.days]) + "]}")  # type: ignore[arg-type]


def write_json(out: BinaryIO, header: Header, points: Sequence[RawPoint] | Sequence[MonthlyRow]) -> str:
    """jsonrender.write_json's gzip'd text and content hash, rendered in batches of points."""
    digest = hashlib.sha256(jsonrender.content_key(header))
    if header.type in MONTHLY_TYPES:
        def render(p): return monthly_json(p, jsonrender.monthly_json)  # type: ignore[no-untyped-def]
    else:
        render = point_json  # type: ignore[assignment]
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=jsonrender.COMPRESS_LEVEL, mtime=0) as gz:
        gz.write(('{"header": ' + json.dumps(jsonrender.header_json(header), ensure_ascii=False)
                  + ', "points": [').encode())
        for i in range(0, len(points), _JSON_BATCH):
            chunk = (", " if i else "") + ", ".join([render(p) for p in points[i:i + _JSON_BATCH]])  # type: ignore[arg-type]
            data = chunk.encode()
            digest.update(data)
            gz.write(data)
        gz.write(b"]}\n")
    return digest.hexdigest()


_JSON_BATCH = 500
