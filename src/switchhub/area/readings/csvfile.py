"""The meter data source's CSV: spid, date, slot, kWh, status — UTF-8 (BOM or not) or CP932.

An optional header line (first cell "spid" or "供給地点特定番号") is skipped; row numbers in the
report are line numbers of the file (the header is line 1).
"""

from __future__ import annotations

import csv
import io

from switchhub.area.readings.checks import RawRow, Report

COLUMNS = ("spid", "date", "slot", "kwh", "status")
HEADER_FIRST = {"spid", "供給地点特定番号"}


def decode(data: bytes) -> str:
    """UTF-8 first (a CP932 file with Japanese text is almost never valid UTF-8), else CP932."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp932")


def read_rows(data: bytes, report: Report) -> list[RawRow]:
    try:
        text = decode(data)
    except UnicodeDecodeError:
        report.add(1, "file", "encoding", "文字コードはUTF-8またはShift_JIS(CP932)にしてください",
                   "The file must be UTF-8 or CP932")
        return []
    rows: list[RawRow] = []
    for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not cells or all(not c.strip() for c in cells):
            continue
        if number == 1 and cells[0].strip().lstrip("\ufeff").lower() in HEADER_FIRST:
            continue
        if len(cells) != len(COLUMNS):
            report.add(number, "row", "columns", f"列の数が{len(cells)}です（5列: 供給地点特定番号,日付,コマ,電力量,状態）",
                       f"{len(cells)} columns; expected 5 (spid,date,slot,kwh,status)")
            continue
        rows.append(RawRow(number, *cells))
    return rows
