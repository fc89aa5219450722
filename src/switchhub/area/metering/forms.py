"""The standard CSV forms (標準化帳票, metering.md) of one billing month, per retailer.

* C01 契約電力算定結果内訳: for each measured-demand (実量制) point, this month's maximum demand
  (largest 30-minute kWh × 2, from the covered days), the largest of the previous 11 months
  (readings_monthly.max_demand_kw) and the resulting contract power (the larger of the two).
* C02 制限中止割引: the points that had a curtailment (制限) or interruption (中止) this month, with
  the period and the discount rate (seed 001: "当月に制限中止割引の対象となった需要者とその対象期間
  及び割引率"), from the area's `curtailment_events` (area/curtailment: ingested from the T&D's
  dispatch records). One row per event, clipped to the days the retailer supplied the point in the
  month (an event over a switch is split between the two retailers' forms, no hour twice); hours =
  the clipped period's length. Given to every retailer with an event and to every retailer that
  receives C01 (measured-demand customers are the ones with curtailment contracts), then maybe empty.
* C03 発電者の仕訳後の電力量: for each FIT generation point (channel low_fit), the energy allocated to
  the purchasing retailer per day (the sum of the day's 30-minute values).

CSV: UTF-8 with a byte order mark (the forms are opened in spreadsheets; names outside JIS X 0208),
CRLF line ends, a header row, kWh and kW with exactly 4 decimals, hours and rates with exactly 2
(a period is whole half hours, a rate has at most 2 decimals: nothing is rounded), times JST.
The JSON rendering holds the same columns and rows as strings.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from switchhub.area.metering.jsonrender import content_key, header_json
from switchhub.area.metering.model import Header
from switchhub.area.metering.package import Packaged, package_csv
from switchhub.contract.metering import FileType
from switchhub.kernel.clock import JST

COLUMNS: dict[FileType, list[str]] = {
    FileType.CONTRACT_POWER: ["供給地点特定番号", "対象年月", "計量期間開始日", "計量期間終了日", "当月最大需要電力(kW)",
                              "前11か月最大需要電力(kW)", "算定契約電力(kW)", "算定方法"],
    FileType.CURTAILMENT: ["供給地点特定番号", "対象年月", "区分", "開始日時", "終了日時", "割引対象時間(h)",
                           "割引率(%)", "事由"],
    FileType.GENERATOR_ENERGY: ["供給地点特定番号", "対象年月", "計量日", "仕訳後電力量(kWh)"],
}
METHOD = "実量制（当月及び前11か月の最大需要電力の最大値）"


def _larger(a: str | None, b: str | None) -> str:
    values = [Decimal(v) for v in (a, b) if v is not None]
    return format(max(values), "f") if values else ""


def _jst(moment: datetime) -> str:
    return moment.astimezone(JST).strftime("%Y%m%d %H:%M")


def _hours(starts: datetime, ends: datetime) -> str:
    return format((Decimal(int((ends - starts).total_seconds())) / 3600).quantize(Decimal("0.01")), "f")


def curtailment_row(month: str, event: dict[str, Any]) -> list[str]:
    """One C02 row from an event already clipped to the retailer's supply days in the month."""
    return [event["spid"], month, event["kind"], _jst(event["starts_at"]), _jst(event["ends_at"]),
            _hours(event["starts_at"], event["ends_at"]), format(Decimal(event["discount_rate"]), ".2f"),
            event["reason"]]


def rows_by_retailer(points: list[dict[str, Any]], events: list[dict[str, Any]],
                     month: date) -> dict[str, dict[FileType, list[list[str]]]]:
    """The rows of the three forms for every retailer that has any."""
    out: dict[str, dict[FileType, list[list[str]]]] = defaultdict(lambda: {t: [] for t in COLUMNS})
    for e in events:
        out[e["retailer_code"]][FileType.CURTAILMENT].append(curtailment_row(month.strftime("%Y%m"), e))
    for p in points:
        month = p["d0"].strftime("%Y%m")
        forms = out[p["retailer_code"]]
        if p["capacity_method"] == "3":
            forms[FileType.CONTRACT_POWER].append([
                p["spid"], month, p["d0"].strftime("%Y%m%d"), p["d1"].strftime("%Y%m%d"), p["max_demand"] or "",
                p["past_max_demand"] or "", _larger(p["max_demand"], p["past_max_demand"]), METHOD])
        if p["channel"] == "low_fit":
            for item in p["daily"] or []:
                day, kwh = item.split("=")
                forms[FileType.GENERATOR_ENERGY].append([p["spid"], month, day.replace("-", ""), kwh])
    return {r: f for r, f in out.items()}


def render(header: Header, rows: list[list[str]]) -> Packaged:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS[header.type])
    writer.writerows(rows)
    csv_bytes = "\ufeff".encode() + buf.getvalue().encode("utf-8")
    body = json.dumps(rows, ensure_ascii=False).encode()
    content = hashlib.sha256(content_key(header) + body).hexdigest()
    doc = {"header": header_json(header), "columns": COLUMNS[header.type], "rows": rows}
    json_gz = gzip.compress(json.dumps(doc, ensure_ascii=False).encode(), mtime=0)
    return package_csv(header, csv_bytes, json_gz, content, len({r[0] for r in rows}))


def read_csv(data: bytes) -> tuple[list[str], list[list[str]]]:
    """A form's CSV back as (columns, rows): the project's own reader of the forms."""
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]
