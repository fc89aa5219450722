"""The fast path (fastwriter: values kept as text, kWh as stored, statuses as array text) packages exactly what the
reference writer (xmlwriter + jsonrender, one Python step per slot) packages: the same ZIP bytes,
the same JSON rendering and content hash — for missing slots, missing statuses, points without a
reading row, names with characters to escape or that XML cannot carry, high and low voltage."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from switchhub.area.metering.fastwriter import RawPoint
from switchhub.area.metering.model import Header
from switchhub.area.metering.package import package_fast, package_xml
from switchhub.area.metering.xmlwriter import MonthlyRow, PointRow
from switchhub.contract.metering import FileType
from switchhub.kernel.clock import JST

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=JST)
NAMES = ["山田 太郎", "A&B <株>", "𠮷野 髙子", "tab\tnew\nline\x01\x7f", '"quoted" \\ back', ""]


def pg_array(values: list[str | None]) -> str:
    """What PostgreSQL prints for a numeric/smallint array: {v,NULL,…}, elements unquoted."""
    return "{" + ",".join("NULL" if v is None else v for v in values) + "}"


kwh_values = st.one_of(st.none(), st.decimals(min_value=0, max_value=999999, places=4, allow_nan=False,
                                              allow_infinity=False).map(lambda d: format(d, "f")))
day_values = st.tuples(st.lists(kwh_values, min_size=48, max_size=48),
                       st.lists(st.one_of(st.none(), st.integers(0, 9).map(str)), min_size=48, max_size=48))
a_day = st.one_of(st.none(), day_values)  # None: no reading row for the day


def _as_lists(day):  # type: ignore[no-untyped-def]
    return ([None] * 48, [None] * 48) if day is None else day


def stored_kwh(values: list[str | None]) -> str:
    """A day's kWh as the area stores it (area 0013): 48 fields, comma-separated, empty = not received."""
    return ",".join("" if v is None else v for v in values)


def _as_text(day):  # type: ignore[no-untyped-def]
    return (None, None) if day is None else (stored_kwh(day[0]), pg_array(day[1]))


def _same(fast, reference) -> None:  # type: ignore[no-untyped-def]
    assert fast.name == reference.name
    assert fast.content_sha256 == reference.content_sha256
    assert fast.zip == reference.zip  # the same XML, deflated the same way
    assert fast.json_gz == reference.json_gz
    assert fast.points == reference.points


@settings(max_examples=40, deadline=None)
@given(days=st.lists(a_day, max_size=12), high=st.booleans())
def test_past_day_fast_path_equals_the_reference_writer(days, high):
    t = FileType.HIGH_PAST_DAY if high else FileType.LOW_PAST_DAY
    header = Header(t, "1", "T0300", "東京電力パワーグリッド", "M0300", NOW, date(2026, 11, 30), None, 2, 3)
    spid = [f"03{i:020d}" for i in range(len(days))]
    ref = [PointRow(spid[i], str(i), NAMES[i % len(NAMES)], str(1000 + i), *_as_lists(d)) for i, d in enumerate(days)]
    raw = [RawPoint(spid[i], str(i), NAMES[i % len(NAMES)], str(1000 + i), *_as_text(d)) for i, d in enumerate(days)]
    _same(package_fast(header, raw), package_xml(header, ref))


def _monthly(i: int, days, as_text: bool, provided: str) -> MonthlyRow:  # type: ignore[no-untyped-def]
    first = date(2026, 11, 1)
    covered = [(first + timedelta(days=n), *(_as_text(d) if as_text else _as_lists(d))) for n, d in enumerate(days)]
    return MonthlyRow(f"04{i:020d}", str(i), NAMES[i % len(NAMES)], "東京都 千代田区 & <1>", "低圧", provided,
                      None if i % 2 else 95, "1", "12.3400", "12.3400" if i % 3 == 0 else None,
                      "1.5000" if days else None, date(2026, 12, 1) if i % 2 == 0 else None,
                      covered if provided == "0" else [])


@settings(max_examples=25, deadline=None)
@given(points=st.lists(st.lists(a_day, max_size=5), max_size=6))
def test_monthly_fast_path_equals_the_reference_writer(points):
    header = Header(FileType.LOW_MONTHLY, "0", "T0400", "中部電力パワーグリッド", "A0001", NOW, date(2026, 11, 1))
    provided = ["0" if i % 4 else "1" for i in range(len(points))]
    ref = [_monthly(i, d, False, provided[i]) for i, d in enumerate(points)]
    raw = [_monthly(i, d, True, provided[i]) for i, d in enumerate(points)]
    _same(package_fast(header, raw), package_xml(header, ref))


def test_a_full_sample_of_both_types():
    """A fixed sample beyond hypothesis's sizes: 300 points × a full day, 40 points × 30 days."""
    day = ([f"{n % 7}.{n:04d}"[:6] if n % 11 else None for n in range(48)], ["0" if n % 13 else None for n in range(48)])
    day = ([None if v is None else f"{float(v):.4f}" for v in day[0]], day[1])
    header = Header(FileType.LOW_PAST_DAY, "1", "T0300", "東京電力パワーグリッド", "M0300", NOW, date(2026, 11, 30))
    ref = [PointRow(f"03{i:020d}", str(i), NAMES[i % 6], str(i), *_as_lists(None if i % 5 == 0 else day))
           for i in range(300)]
    raw = [RawPoint(f"03{i:020d}", str(i), NAMES[i % 6], str(i), *_as_text(None if i % 5 == 0 else day))
           for i in range(300)]
    _same(package_fast(header, raw), package_xml(header, ref))
    header = Header(FileType.HIGH_MONTHLY, "1", "T0300", "東京電力パワーグリッド", "M0300", NOW, date(2026, 11, 1))
    month = [None if n % 9 == 4 else day for n in range(30)]
    _same(package_fast(header, [_monthly(i, month, True, "0") for i in range(40)]),
          package_xml(header, [_monthly(i, month, False, "0") for i in range(40)]))
