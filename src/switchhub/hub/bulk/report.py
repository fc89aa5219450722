"""Building the per-row report and writing it as CSV (UTF-8 with BOM for Excel, or CP932)."""

from __future__ import annotations

import csv
import io
from typing import Any

from switchhub.hub.bulk.columns import Layout
from switchhub.hub.bulk.schemas import OUTCOME_JA
from switchhub.kernel.errors import FieldIssue

CSV_HEADER = ("行番号", "結果", "番号", "申込種別", "項目", "項目名", "コード", "メッセージ")
ENCODINGS = {"utf-8": "utf-8-sig", "cp932": "cp932"}


class Rows:
    """The result of each data row, in file order."""

    def __init__(self, numbers: list[int], layout: Layout) -> None:
        self.layout = layout
        self.errors: dict[int, list[FieldIssue]] = {n: [] for n in numbers}
        self.numbers: dict[int, str] = {}
        self.kinds: dict[int, str] = {}

    def fail(self, row: int, issues: list[FieldIssue]) -> None:
        self.errors[row] += issues or [FieldIssue("row", "invalid", "この行は受け付けられません", "Row refused")]

    def ok(self, row: int) -> bool:
        return not self.errors[row]

    def valid(self) -> list[int]:
        return [n for n, e in self.errors.items() if not e]

    def as_report(self, committed: set[int], dry_run: bool) -> list[dict[str, Any]]:
        out = []
        for row, issues in self.errors.items():
            outcome = "ng" if issues else "ok" if dry_run else "registered" if row in committed else "not_registered"
            out.append({"row": row, "outcome": outcome, "outcome_name": OUTCOME_JA[outcome],
                        "number": self.numbers.get(row), "kind": self.kinds.get(row),
                        "errors": [{"field": i.field, "label": self.layout.label(i.field) if i.field != "file" else
                                    "ファイル", "code": i.code, "message": i.message_ja} for i in issues]})
        return out


def to_csv(report: dict[str, Any], encoding: str = "utf-8") -> bytes:
    """One line per row (OK rows) or per issue (NG rows)."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    for r in report["results"]:
        base = [r["row"], r["outcome_name"], r.get("number") or "", r.get("kind") or ""]
        if not r["errors"]:
            w.writerow([*base, "", "", "", ""])
        for e in r["errors"]:
            w.writerow([*base, e["field"], e["label"], e["code"], e["message"]])
    return buf.getvalue().encode(ENCODINGS.get(encoding, "utf-8-sig"), errors="replace")
