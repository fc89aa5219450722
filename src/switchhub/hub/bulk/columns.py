"""The documented column layout of each bulk file kind (docs/bulk.md) and the cell → field rules.

Each column has a Japanese header and the API field name (either is accepted in the header row).
A cell becomes the JSON value the API would receive for that field: text as it is, dates as
YYYY-MM-DD (YYYY/M/D as Excel saves them is accepted too), yes/no as true/false (1/0, はい/いいえ,
○/×, 有/無), numbers as numbers; an empty cell is an absent field. Anything that does not convert
is passed on as text, so the API's own model answers with its own field message.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import types
import typing
import unicodedata
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from switchhub.contract.applications import KIND_TYPES, REQUESTS
from switchhub.httpkit import validation_issues
from switchhub.hub.relays.schemas import RelayRegistration
from switchhub.kernel.codes import ApplicationType
from switchhub.kernel.errors import FieldIssue, InputError

KIND_COLUMN = "kind"


@dataclass(frozen=True)
class Layout:
    title: str  # 廃止取次ファイル …
    doc: str
    columns: tuple[tuple[str, str], ...]  # (API field, Japanese header)
    required: tuple[str, ...]  # columns the header must have

    def label(self, field: str) -> str:
        return dict(self.columns).get(field, field)

    def by_header(self) -> dict[str, str]:
        out = {f: f for f, _ in self.columns} | {f.lower(): f for f, _ in self.columns}
        out.update({_norm(ja): f for f, ja in self.columns})
        return out


def _norm(s: str) -> str:
    return unicodedata.normalize("NFKC", s).strip().replace(" ", "")


RELAYS = Layout("廃止取次ファイル", "docs/bulk.md「廃止取次ファイル」", (
    ("spid", "供給地点特定番号"), ("current_retailer_code", "現小売事業者コード"),
    ("contract_no", "現小売との契約番号"), ("customer_name_kana", "需要者名（カナ）"),
    ("customer_name_kanji", "需要者名（漢字）"), ("address", "住所"), ("building", "建物名"),
    ("requested_switch_date", "スイッチング希望日"), ("contact_name", "担当者名"), ("contact_phone", "担当者電話番号"),
), tuple(n for n, f in RelayRegistration.model_fields.items() if f.is_required()))

# every field of every filing model (contract/applications.py REQUESTS), once, in a stable order
APPLICATION_LABELS: dict[str, str] = {
    "spid": "供給地点特定番号", "switch_date": "スイッチング予定日", "end_date": "廃止日", "start_date": "再点日",
    "effective_date": "変更日", "customer_request": "需要者希望日", "relay_no": "廃止取次番号",
    "service_menu": "接続送電サービスメニュー", "capacity_method": "契約決定方法", "contract_current": "契約電流",
    "contract_capacity": "契約容量", "contract_power": "契約電力", "customer_name_kana": "需要者氏名（カナ）",
    "customer_name_kanji": "需要者氏名（漢字）", "customer_phone": "需要者電話番号", "consent": "需要者同意",
    "remove_meter": "計器撤去", "attendance": "立会い希望", "reason_note": "廃止理由", "contact_name": "現地連絡先氏名",
    "contact_phone": "現地連絡先電話番号", "move_in_time": "入居予定時刻",
}
_APP_FIELDS = list(dict.fromkeys(f for m in REQUESTS.values() for f in m.model_fields))
APPLICATIONS = Layout("申込ファイル", "docs/bulk.md「申込ファイル」", (
    (KIND_COLUMN, "申込種別"), *((f, APPLICATION_LABELS.get(f, f)) for f in _APP_FIELDS)), (KIND_COLUMN, "spid"))

# 申込種別: the API's kind name, its Japanese name, or a type code (02/13 mean 廃止・撤去)
_KIND_NAMES = {"termination": ("廃止", "廃止・撤去"), "switch-end": ("スイッチング廃止",), "reconnection": ("再点",),
               "switch-start": ("スイッチング開始",), "ampere-change": ("アンペア変更",),
               "customer-change": ("需要者情報変更", "受電者情報変更")}
REMOVAL_TYPES = {ApplicationType.TERMINATION_REMOVAL.value, ApplicationType.FIT_TERMINATION_REMOVAL.value}


def kind_of(cell: str) -> tuple[str, bool] | None:
    """(kind, removal implied) for a 申込種別 cell, or None."""
    value = _norm(cell)
    for kind, names in _KIND_NAMES.items():
        if value.lower() == kind or value in names:
            return kind, value == "廃止・撤去"
    for kind, codes in KIND_TYPES.items():
        if value in codes or (value.isdigit() and len(value) == 1 and f"0{value}" in codes):
            return kind, value.zfill(2) in REMOVAL_TYPES
    return None


_TRUE, _FALSE = {"1", "true", "yes", "y", "はい", "○", "〇", "有", "あり"}, {"0", "false", "no", "n", "いいえ", "×", "無", "なし"}
_DATE = re.compile(r"^([0-9]{4})[/-]([0-9]{1,2})[/-]([0-9]{1,2})$")


def _base_type(annotation: Any) -> Any:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _base_type(args[0]) if len(args) == 1 else str
    if typing.get_origin(annotation) is typing.Literal:
        return str
    return annotation


def cell_value(model: type[BaseModel], field: str, cell: str) -> Any:
    kind = _base_type(model.model_fields[field].annotation)
    value = unicodedata.normalize("NFKC", cell).strip()
    if kind is bool:
        low = value.lower()
        return True if low in _TRUE else False if low in _FALSE else cell
    if kind is int and re.fullmatch(r"[+-]?[0-9]+", value):
        return int(value)
    if kind is float and re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", value):
        return float(value)
    if kind is dt.date:
        m = _DATE.match(value)
        if m:
            return f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}"
        return value
    return cell


def to_model(model: type[BaseModel], values: dict[str, str], layout: Layout) -> BaseModel:
    """The row as the API's model, validated as the API validates its JSON body (strict JSON mode).
    A non-empty cell in a column the model does not have is refused by name."""
    issues: list[FieldIssue] = []
    data: dict[str, Any] = {}
    for field, cell in values.items():
        if field == KIND_COLUMN:
            continue
        if field not in model.model_fields:
            label = layout.label(field)
            issues.append(FieldIssue(field, "not_for_this_kind", f"{label}: この申込種別では指定できない項目です",
                                     f"{field}: not a field of this kind"))
            continue
        data[field] = cell_value(model, field, cell)
    try:
        parsed = model.model_validate_json(json.dumps(data, ensure_ascii=False))
    except ValidationError as exc:
        issues += validation_issues(list(exc.errors()))
        parsed = None
    if issues or parsed is None:
        raise InputError(issues[0].message_ja, issues[0].message_en, errors=issues)
    return parsed
