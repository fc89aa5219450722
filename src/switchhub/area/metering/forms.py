"""The standard CSV forms (標準化帳票, metering.md) of one billing month, per retailer.

* C01 契約電力算定結果内訳: for each measured-demand (実量制) point, this month's maximum demand
  (largest 30-minute kWh × 2, from the covered days), the largest of the previous 11 months
  (readings_monthly.max_demand_kw) and the resulting contract power (the larger of the two).
* C02 制限中止割引: curtailment discounts need curtailment events (date, start, end, curtailed kW)
  from the T&D's dispatch records; the reference area holds none, so the form is given with its
  header and no rows, to every retailer that receives C01 (measured-demand customers are the
  ones with curtailment contracts). Its source would be a `curtailment_events` table.
* C03 発電者の仕訳後の電力量: for each FIT generation point (channel low_fit), the energy allocated to
  the purchasing retailer per day (the sum of the day's 30-minute values).

CSV: UTF-8 with a byte order mark (the forms are opened in spreadsheets; names outside JIS X 0208),
CRLF line ends, a header row, decimals with exactly 4 places. The JSON rendering holds the same
columns and rows as strings.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from switchhub.area.metering.jsonrender import content_key, header_json
from switchhub.area.metering.model import Header
from switchhub.area.metering.package import Packaged, package_csv
from switchhub.contract.metering import FileType

COLUMNS: dict[FileType, list[str]] = {
    FileType.CONTRACT_POWER: ["供給地点特定番号", "対象年月", "計量期間開始日", "計量期間終了日", "当月最大需要電力(kW)",
                              "前11か月最大需要電力(kW)", "算定契約電力(kW)", "算定方法"],
    FileType.CURTAILMENT: ["供給地点特定番号", "対象年月", "制限中止日", "開始時刻", "終了時刻", "制限中止電力(kW)",
                           "割引対象時間(h)", "割引額(円)"],
    FileType.GENERATOR_ENERGY: ["供給地点特定番号", "対象年月", "計量日", "仕訳後電力量(kWh)"],
}
METHOD = "実量制（当月及び前11か月の最大需要電力の最大値）"


def _larger(a: str | None, b: str | None) -> str:
    values = [Decimal(v) for v in (a, b) if v is not None]
    return format(max(values), "f") if values else ""


def rows_by_retailer(points: list[dict[str, Any]]) -> dict[str, dict[FileType, list[list[str]]]]:
    """The rows of the three forms for every retailer that has any (C02: header only, see above)."""
    out: dict[str, dict[FileType, list[list[str]]]] = defaultdict(lambda: {t: [] for t in COLUMNS})
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
