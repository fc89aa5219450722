"""Field validation of every kind against the point it is filed for, with Japanese field messages.

The contract's models check shapes (strict types, lengths, patterns); what needs the point (the
channel's capacity fields, the current contract) or a rule across fields is checked here, every
issue collected, so that one answer names every offending field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from switchhub.kernel.codes import CapacityMethod, Channel
from switchhub.kernel.errors import InputError, IssueCollector
from switchhub.kernel.text import validate_phone

AMPERES = (10, 15, 20, 30, 40, 50, 60)
_AMPERES_TEXT = ", ".join(map(str, AMPERES))


def _phone(issues: IssueCollector, value: str | None, field: str) -> None:
    if value is None or value == "":
        return
    try:
        validate_phone(value, field)
    except InputError as exc:
        issues.extend(exc.errors)


def _customer(req: Any, point: dict[str, Any], issues: IssueCollector) -> None:
    """The new customer of a switch-start or a reconnection: consent, phone, capacity fit to the channel."""
    if not req.consent:
        issues.add("consent", "consent_required", "託送供給等約款への需要者の同意が必要です",
                   "The customer's consent is required")
    _phone(issues, req.customer_phone, "customer_phone")
    if point["channel"] == Channel.HIGH:
        if req.contract_power is None:
            issues.add("contract_power", "required", "高圧の供給地点では契約電力 (kW) が必要です",
                       "contract_power is required for high voltage")
        if req.contract_current is not None:
            issues.add("contract_current", "channel_mismatch", "高圧の供給地点に契約電流は指定できません",
                       "contract_current does not apply to high voltage")
        return
    if req.contract_power is not None:
        issues.add("contract_power", "channel_mismatch", "低圧の供給地点に契約電力は指定できません",
                   "contract_power applies to high voltage only")
    if req.capacity_method == CapacityMethod.AMPERE_BREAKER:
        if req.contract_current not in AMPERES:
            issues.add("contract_current", "invalid_value", f"契約電流は {_AMPERES_TEXT} A のいずれかです",
                       f"contract_current must be one of {AMPERES}")
    elif req.contract_capacity is None:
        issues.add("contract_capacity", "required", "主開閉器契約では契約容量 (kVA) が必要です",
                   "contract_capacity is required")
    if req.capacity_method == CapacityMethod.MEASURED:
        issues.add("capacity_method", "channel_mismatch", "実量制は高圧の供給地点のみ指定できます",
                   "capacity method 3 applies to high voltage only")


def _termination(req: Any, point: dict[str, Any], issues: IssueCollector) -> None:
    if req.remove_meter or req.attendance:
        if not req.contact_name.strip():
            issues.add("contact_name", "required", "計器撤去または立会いを伴う廃止では現地連絡先氏名が必要です",
                       "contact_name is required with meter removal or attendance")
        if not req.contact_phone.strip():
            issues.add("contact_phone", "required", "計器撤去または立会いを伴う廃止では現地連絡先電話番号が必要です",
                       "contact_phone is required with meter removal or attendance")
    _phone(issues, req.contact_phone, "contact_phone")


def _customer_change(req: Any, point: dict[str, Any], issues: IssueCollector) -> None:
    if req.customer_name_kana is None and req.customer_name_kanji is None and req.customer_phone is None:
        issues.add("customer_name_kanji", "required",
                   "変更する項目（氏名（カナ・漢字）または電話番号）を一つ以上入力してください",
                   "Give at least one field to change (name or phone)")
        return
    if (req.customer_name_kana is None) != (req.customer_name_kanji is None):
        missing = "customer_name_kana" if req.customer_name_kana is None else "customer_name_kanji"
        issues.add(missing, "required", "氏名を変更するときはカナと漢字の両方を入力してください",
                   "A name change needs both the kana and the kanji name")
    _phone(issues, req.customer_phone, "customer_phone")


def _ampere_change(req: Any, point: dict[str, Any], issues: IssueCollector) -> None:
    if req.contract_current not in AMPERES:
        issues.add("contract_current", "invalid_value", f"契約電流は {_AMPERES_TEXT} A のいずれかです",
                   f"contract_current must be one of {AMPERES}")
    elif point.get("contract_current") == req.contract_current:
        issues.add("contract_current", "unchanged", f"契約電流は現在も {req.contract_current} A です（変更がありません）",
                   f"The contract current is already {req.contract_current} A")


def _nothing(req: Any, point: dict[str, Any], issues: IssueCollector) -> None:
    return None


VALIDATORS: dict[str, Callable[[Any, dict[str, Any], IssueCollector], None]] = {
    "termination": _termination,
    "switch-end": _nothing,
    "reconnection": _customer,
    "switch-start": _customer,
    "ampere-change": _ampere_change,
    "customer-change": _customer_change,
}


def validate(kind: str, req: BaseModel, point: dict[str, Any]) -> None:
    issues = IssueCollector()
    VALIDATORS[kind](req, point, issues)
    issues.raise_if_any()
