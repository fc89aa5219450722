"""One metering file packaged: a ZIP holding exactly one XML (or CSV), and the gzip'd JSON rendering."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from switchhub.area.metering import fastwriter, jsonrender, naming, xmlwriter
from switchhub.area.metering.model import Header
from switchhub.contract.metering import MONTHLY_TYPES, PAST_DAY_TYPES, TODAY_TYPES

# deflate level 1: the XML is very repetitive, level 1 is ~1.7× faster than 6 for ~27 % larger ZIPs
# (docs/benchmarks.md); the JSON rendering uses gzip level 1 too (jsonrender.COMPRESS_LEVEL)
COMPRESS_LEVEL = 1


@dataclass(frozen=True)
class Packaged:
    name: str
    zip: bytes
    json_gz: bytes
    sha256: str
    content_sha256: str
    points: int


def _zip(header: Header, inner: str, write) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    info = zipfile.ZipInfo(inner, date_time=header.created_at.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    # a ZipInfo carries its own level (3.11/3.12: _compresslevel, 3.13: compress_level)
    try:
        info.compress_level = COMPRESS_LEVEL  # type: ignore[attr-defined]
    except AttributeError:
        info._compresslevel = COMPRESS_LEVEL  # type: ignore[attr-defined]
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as zf:
        with zf.open(info, "w", force_zip64=True) as f:
            write(f)
    return buf.getvalue()


def package_xml(header: Header, rows: Sequence[xmlwriter.PointRow] | Sequence[xmlwriter.MonthlyRow]) -> Packaged:
    """ZIP (one XML) + JSON of one sequence of one file type."""
    key = (header.type, header.target, header.slot, header.sequence, header.revision)
    if header.type in TODAY_TYPES:
        def write(f): return xmlwriter.write_today(f, header, rows)  # type: ignore[arg-type]
    elif header.type in PAST_DAY_TYPES:
        def write(f): return xmlwriter.write_past_day(f, header, rows)  # type: ignore[arg-type]
    else:
        assert header.type in MONTHLY_TYPES
        def write(f): return xmlwriter.write_monthly(f, header, rows)  # type: ignore[arg-type]
    data = _zip(header, naming.inner_name(*key), write)
    out = io.BytesIO()
    content = jsonrender.write_json(out, header, rows)
    return Packaged(naming.zip_name(*key), data, out.getvalue(), hashlib.sha256(data).hexdigest(), content, len(rows))


def package_csv(header: Header, csv_bytes: bytes, json_gz: bytes, content_sha256: str, rows: int) -> Packaged:
    key = (header.type, header.target, header.slot, header.sequence, header.revision)
    data = _zip(header, naming.inner_name(*key), lambda f: f.write(csv_bytes))
    return Packaged(naming.zip_name(*key), data, json_gz, hashlib.sha256(data).hexdigest(), content_sha256, rows)


def package_fast(header: Header, rows: Sequence[fastwriter.RawPoint] | Sequence[xmlwriter.MonthlyRow]) -> Packaged:
    """package_xml's result for past-day rows (RawPoint) or monthly rows whose days carry their texts,
    through fastwriter (the same bytes as the reference writer, tests/metering/test_fast_path.py)."""
    assert header.type in PAST_DAY_TYPES or header.type in MONTHLY_TYPES
    key = (header.type, header.target, header.slot, header.sequence, header.revision)
    writer = fastwriter.write_past_day if header.type in PAST_DAY_TYPES else fastwriter.write_monthly
    data = _zip(header, naming.inner_name(*key), lambda f: writer(f, header, rows))  # type: ignore[arg-type]
    out = io.BytesIO()
    content = fastwriter.write_json(out, header, rows)
    return Packaged(naming.zip_name(*key), data, out.getvalue(), hashlib.sha256(data).hexdigest(), content, len(rows))
