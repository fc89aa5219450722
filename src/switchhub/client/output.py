"""How the CLI prints answers: JSON (one document, for scripts and `jq`) or a Rich table (for people).

Tables show the columns named per kind of row (COLUMNS, Japanese headers); a single object is shown
as field / value pairs without the empty ones. JSON is the whole answer, exactly as the hub gave it.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

#: columns of list tables: field → header
COLUMNS: dict[str, dict[str, str]] = {
    "point": {"spid": "供給地点特定番号", "area": "エリア", "prefecture": "都道府県", "city": "市区町村",
              "town": "町・字", "block": "番地", "building": "建物", "contract_status": "契約状態"},
    "relay": {"relay_no": "廃止取次番号", "spid": "供給地点特定番号", "new_retailer": "新小売",
              "current_retailer": "現小売", "requested_switch_date": "希望日", "status": "ステータス",
              "status_name": "ステータス名", "decision_deadline": "判断期限"},
    "application": {"application_no": "申込番号", "type": "種別", "spid": "供給地点特定番号", "stage": "工程",
                    "stage_name": "工程名", "switch_date": "予定日", "received_at": "受付日時"},
    "feed": {"seq": "通番", "application_no": "申込番号", "type": "種別", "spid": "供給地点特定番号",
             "from_stage": "前工程", "to_stage": "工程", "at": "日時"},
    "file": {"file_id": "ファイルID", "type": "種別", "type_name": "種別名", "target_date": "対象日",
             "target_month": "対象月", "revision": "版", "points": "地点数", "name": "ファイル名"},
    "usage_item": {"spid": "供給地点特定番号", "outcome": "結果", "code": "コード"},
    "failure": {"spid": "供給地点特定番号", "status": "HTTP", "code": "コード", "message": "内容"},
}


def plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class Printer:
    def __init__(self, output: str, console: Console | None = None) -> None:
        self.output = output
        self.console = console or Console(soft_wrap=True)

    def json(self, value: Any) -> None:
        self.console.print_json(json.dumps(plain(value), ensure_ascii=False, default=str))

    def show(self, value: Any, title: str | None = None) -> None:
        """One object: JSON, or a field / value table."""
        if self.output == "json":
            return self.json(value)
        data = plain(value)
        table = Table(title=title, show_header=True)
        table.add_column("項目")
        table.add_column("値")
        for key, item in (data or {}).items():
            if item not in (None, [], {}):
                table.add_row(key, _cell(item))
        self.console.print(table)

    def rows(self, value: Any, items: list[Any], kind: str, title: str | None = None,
             footer: str | None = None) -> None:
        """A list: the whole answer as JSON, or a table of `items` with the kind's columns."""
        if self.output == "json":
            return self.json(value)
        columns = COLUMNS[kind]
        table = Table(title=title, caption=footer)
        for header in columns.values():
            table.add_column(header)
        for item in plain(items):
            table.add_row(*[_cell(item.get(field)) for field in columns])
        self.console.print(table)

    def line(self, obj: Any, kind: str) -> None:
        """One row as it arrives (follow mode): a JSON line, or the kind's columns separated by tabs."""
        data = plain(obj)
        if self.output == "json":
            self.console.print(json.dumps(data, ensure_ascii=False, default=str), soft_wrap=True,
                               highlight=False, markup=False)
        else:
            self.console.print("\t".join(_cell(data.get(f)) for f in COLUMNS[kind]), highlight=False,
                               markup=False)
