"""The metering file format without a database: every XML type generated → parsed with the project's
own reader → identical Decimal values (0.0000, 123456.7890, slots not received), valid against the
published XSD, kWh written with exactly 4 decimals, the ZIP holding exactly one XML with the
documented name, and the JSON rendering carrying the same values."""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from switchhub.area.metering import reader
from switchhub.area.metering.jsonrender import header_json, to_document
from switchhub.area.metering.model import Header
from switchhub.area.metering.package import package_xml
from switchhub.area.metering.xmlwriter import MonthlyRow, PointRow, dec4
from switchhub.contract.metering import FileType
from switchhub.kernel.clock import JST

NOW = datetime(2026, 12, 1, 9, 15, 0, tzinfo=JST)
SPID_A = "0300000000000000000011"
SPID_B = "0300000000000000000022"


def schema() -> etree.XMLSchema:
    xsd = resources.files("switchhub.area.metering").joinpath("xsd/switchhub-metering.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(xsd))


def _xml_of(zip_bytes: bytes) -> tuple[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        names = zf.namelist()
        assert len(names) == 1
        return names[0], zf.read(names[0])


def _slots(*pairs: tuple[int, str | None, int | None]) -> tuple[list, list]:
    kwh: list = [None] * 48
    status: list = [None] * 48
    for slot, k, s in pairs:
        kwh[slot - 1] = None if k is None else Decimal(k)
        status[slot - 1] = s
    return kwh, status


def _header(t: FileType, target: date, slot: int | None = None, mode: str = "1") -> Header:
    return Header(t, mode, "T0300", "東京電力パワーグリッド", "M0300", NOW, target, slot, 1, 1)


def _check(packaged, header: Header):
    name, xml = _xml_of(packaged.zip)
    assert name == packaged.name.removesuffix(".zip") + ".xml"
    xsd = schema()
    doc = etree.fromstring(xml)
    assert xsd.validate(doc), xsd.error_log
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    parsed = reader.read_zip(packaged.zip)[1]
    as_json = json.loads(gzip.decompress(packaged.json_gz))
    assert as_json["header"] == header_json(header)
    assert to_document(as_json, parsed.header) == parsed
    return parsed, xml


def test_past_day_round_trip_is_exact_with_missing_slots():
    kwh, status = _slots((1, "0.0000", 0), (2, "123456.7890", 0), (3, "0.0001", 1), (48, "999999.9999", 0))
    points = [PointRow(SPID_A, "1001", "山田 太郎", "501", kwh, status),
              PointRow(SPID_B, "1002", "𠮷野 花子", "502", [Decimal("1.5")] * 48, [0] * 48)]
    header = _header(FileType.LOW_PAST_DAY, date(2026, 11, 30))
    packaged = package_xml(header, points)
    assert packaged.name == "W41120_20261130_0000_001_r1.zip"
    parsed, xml = _check(packaged, header)
    assert parsed.header == header.__class__(**{**header.__dict__, "created_at": NOW})
    a, b = parsed.points
    assert a.spid == SPID_A and a.customer_name == "山田 太郎" and b.customer_name == "𠮷野 花子"
    assert [r.kwh for r in a.readings[:3]] == [Decimal("0.0000"), Decimal("123456.7890"), Decimal("0.0001")]
    assert str(a.readings[0].kwh) == "0.0000" and a.readings[2].status == 1
    assert a.readings[3].kwh is None and a.readings[3].status is None and a.readings[47].kwh == Decimal("999999.9999")
    assert all(r.kwh == Decimal("1.5000") and r.status == 0 for r in b.readings)
    # exactly 4 decimals as text, low voltage element, 48 slot records
    assert re.findall(rb"<JP06125>([^<]*)</JP06125>", xml)[:4] == [b"0.0000", b"1.5000", b"123456.7890", b"1.5000"]
    assert b"<JP06123>" not in xml and xml.count(b"<JP06219>") == 48
    assert b"<MODE>1</MODE>" in xml


def test_today_round_trip_high_voltage_and_live_mode():
    points = [PointRow(SPID_A, "1001", "株式会社 テスト", "501", [Decimal("12.3400")], [0]),
              PointRow(SPID_B, "1002", "A&B <商店>", "502", [None], [None])]
    header = _header(FileType.HIGH_TODAY, date(2026, 11, 30), slot=20, mode="0")
    packaged = package_xml(header, points)
    assert packaged.name == "W40110_20261130_0930_001_r1.zip"
    parsed, xml = _check(packaged, header)
    assert parsed.header.slot == 20 and parsed.header.operation_mode == "0"
    assert [(p.spid, p.readings) for p in parsed.points] == [
        (SPID_A, (reader.Reading(0, Decimal("12.3400")),)), (SPID_B, (reader.Reading(None, None),))]
    assert parsed.points[1].customer_name == "A&B <商店>"
    assert b"<JP06123>12.3400</JP06123>" in xml and b"<JP06125>" not in xml


def test_monthly_round_trip():
    k1, s1 = _slots((1, "0.0000", 0), (2, "2.5000", 0))
    days = [(date(2026, 11, 1), k1, s1), (date(2026, 11, 2), [None] * 48, [None] * 48)]
    row = MonthlyRow(SPID_A, "1001", "山田 太郎", "東京都 千代田区 丸の内 1-1", "低圧", "0", 95, "1",
                     Decimal("2.5000"), None, Decimal("5.0000"), date(2026, 12, 1), days)
    header = _header(FileType.LOW_MONTHLY, date(2026, 11, 6))  # the reading day that closed the period
    packaged = package_xml(header, [row])
    assert packaged.name == "W51220_20261106_001_r1.zip"
    parsed, xml = _check(packaged, header)
    p = parsed.points[0]
    assert (p.total_kwh, p.confirmed_kwh, p.max_demand_kw, p.power_factor) == (
        Decimal("2.5000"), None, Decimal("5.0000"), 95)
    assert p.next_reading_date == date(2026, 12, 1) and [d.day for d in p.days] == [date(2026, 11, 1),
                                                                                    date(2026, 11, 2)]
    assert p.days[0].readings[1] == reader.Reading(0, Decimal("2.5000"))
    assert p.days[1].readings == (reader.Reading(None, None),) * 48
    assert b"<JP06116>20261106</JP06116>" in xml and b"<JP06401>" not in xml and b"<JP06426>2.5000</JP06426>" in xml


@pytest.mark.parametrize("value, text", [(Decimal("0"), "0.0000"), (Decimal("123456.789"), "123456.7890"),
                                         (Decimal("-0"), "0.0000"), ("0.1", "0.1000")])
def test_decimals_have_exactly_four_places(value, text):
    assert dec4(value) == text


@pytest.mark.parametrize("value", [Decimal("0.00001"), Decimal("-1"), "1e-5"])
def test_a_value_that_would_need_rounding_is_refused(value):
    with pytest.raises(ValueError):
        dec4(value)


def test_the_schema_rejects_a_value_without_four_decimals():
    points = [PointRow(SPID_A, "1", "x", "1", ["1.5"], ["0"])]  # text is written as given: not canonical
    header = _header(FileType.LOW_TODAY, date(2026, 11, 30), slot=1)
    _, xml = _xml_of(package_xml(header, points).zip)
    assert not schema().validate(etree.fromstring(xml))


_KWH = st.one_of(st.none(), st.decimals(min_value=0, max_value=Decimal("999999.9999"), places=4,
                                        allow_nan=False, allow_infinity=False))
_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT, st.lists(_KWH, min_size=48, max_size=48),
                          st.lists(st.one_of(st.none(), st.integers(0, 9)), min_size=48, max_size=48)),
                min_size=0, max_size=5),
       st.booleans())
def test_any_past_day_content_round_trips_exactly(rows, high):
    points = [PointRow(f"03{i:020d}", code, name, str(i), kwh, status) for i, (code, name, kwh, status) in
              enumerate(rows)]
    header = _header(FileType.HIGH_PAST_DAY if high else FileType.LOW_PAST_DAY, date(2026, 11, 30))
    packaged = package_xml(header, points)
    parsed, _ = _check(packaged, header)
    assert [(p.spid, p.customer_code, p.customer_name) for p in parsed.points] == [
        (p.spid, p.customer_code, p.customer_name) for p in points]
    for got, want in zip(parsed.points, points):
        assert [r.kwh for r in got.readings] == list(want.kwh)
        assert [r.status for r in got.readings] == list(want.status)


def test_characters_xml_cannot_carry_are_replaced_not_fatal():
    points = [PointRow(SPID_A, "1\x00", "山田\x1b太郎\ufffe", "5", [Decimal("1")], [0])]
    header = _header(FileType.LOW_TODAY, date(2026, 11, 30), slot=1)
    packaged = package_xml(header, points)
    name, xml = _xml_of(packaged.zip)
    assert schema().validate(etree.fromstring(xml))
    got = reader.read_zip(packaged.zip)[1].points[0]
    assert (got.customer_code, got.customer_name) == ("1\ufffd", "山田\ufffd太郎\ufffd")
