"""The meter data source's CSV: spid, date, slot, kWh, status — UTF-8 (BOM or not) or CP932, streamed.

An optional header line (first cell "spid" or "供給地点特定番号") is skipped; row numbers in the
report are line numbers of the file (the header is line 1). The file is read as a stream (a day
of 1 M points is 48 M lines, ≈ 2 GB): the encoding is decided on the first MiB — UTF-8 if it
decodes, else CP932 (a CP932 file with Japanese text is almost never valid UTF-8; the data lines
themselves are ASCII, where both agree). A byte sequence the chosen encoding cannot decode later
in the file is reported at its line and ends the reading.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from switchhub.area.readings.checks import Report

COLUMNS = ("spid", "date", "slot", "kwh", "status")
LABELS = "供給地点特定番号,日付,コマ,電力量,状態"
MONTHLY_COLUMNS = ("spid", "billing_month", "kwh", "max_demand_kw", "power_factor", "next_reading_date")
MONTHLY_LABELS = "供給地点特定番号,検針月,使用電力量,最大需要電力,力率,次回検針予定日"
HEADER_FIRST = {"spid", "供給地点特定番号"}
SNIFF_BYTES = 1 << 20


def encoding_of(stream: BinaryIO) -> str | None:
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    for name in ("utf-8-sig", "cp932"):
        try:
            codecs.getincrementaldecoder(name)().decode(head, final=len(head) < SNIFF_BYTES)
            return name
        except UnicodeDecodeError:
            continue
    return None


def _encoding_problem(report: Report, line: int) -> None:
    report.add(line, "file", "encoding", "文字コードはUTF-8またはShift_JIS(CP932)にしてください",
               "The file must be UTF-8 or CP932")


def iter_rows(stream: BinaryIO, report: Report, columns: tuple[str, ...] = COLUMNS,
              labels: str = LABELS) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) per data line with len(columns) cells; other lines go to `report`."""
    encoding = encoding_of(stream)
    if encoding is None:
        _encoding_problem(report, 1)
        return
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(text)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if number == 1 and cells and cells[0].strip().lstrip("\ufeff").lower() in HEADER_FIRST:
                continue
            if len(cells) == len(columns):
                yield number, cells
            elif not cells or all(not c.strip() for c in cells):
                continue
            else:
                report.add(number, "row", "columns", f"列の数が{len(cells)}です（{len(columns)}列: {labels}）",
                           f"{len(cells)} columns; expected {len(columns)} ({','.join(columns)})")
    except UnicodeDecodeError:
        _encoding_problem(report, number + 1)
    finally:
        text.detach()
