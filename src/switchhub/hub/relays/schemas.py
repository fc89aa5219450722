"""Relay inputs (strict; dates as YYYY-MM-DD strings) and answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from switchhub.kernel.codes import Area, NgReason, RelayDecision, RelayReason, RelayStatus
from switchhub.kernel.spid import SPID_DOC

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
#: not a closed list: a failed match carries the reason code of the application that failed it
REASON_DOC = (f"理由コード: {', '.join(m.value for m in RelayReason)}; マッチング不成立では申込の理由コード"
              " (e.g. matching_deadline)")


class RelayRegistration(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    spid: str = Field(max_length=40, description="供給地点特定番号", json_schema_extra=SPID_DOC)
    current_retailer_code: str = Field(min_length=5, max_length=5, description="現小売事業者コード")
    contract_no: str = Field(min_length=1, max_length=40, description="現小売との契約番号")
    customer_name_kana: str = Field(min_length=1, max_length=80)
    customer_name_kanji: str = Field(min_length=1, max_length=80)
    address: str = Field(min_length=1, max_length=200)
    building: str = Field(default="", max_length=100)
    requested_switch_date: dt.date = Field(description="スイッチング希望日")
    contact_name: str = Field(min_length=1, max_length=60, description="新小売の担当者名")
    contact_phone: str = Field(min_length=10, max_length=13, description="新小売の連絡先電話番号")


class RelayCorrection(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    contract_no: str | None = Field(default=None, min_length=1, max_length=40)
    customer_name_kana: str | None = Field(default=None, min_length=1, max_length=80)
    customer_name_kanji: str | None = Field(default=None, min_length=1, max_length=80)
    address: str | None = Field(default=None, min_length=1, max_length=200)
    building: str | None = Field(default=None, max_length=100)
    requested_switch_date: dt.date | None = None
    contact_name: str | None = Field(default=None, min_length=1, max_length=60)
    contact_phone: str | None = Field(default=None, min_length=10, max_length=13)


class RelayDecisionInput(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    decision: Literal["01", "02"] = Field(description="01 OK / 02 NG")
    staff_name: str = Field(min_length=1, max_length=60, description="判断した担当者名")
    ng_reasons: list[Literal["1", "2", "3", "4", "5", "6", "7", "8", "9"]] = Field(default_factory=list, max_length=9)
    memo: str = Field(default="", max_length=400)


class RelayWithdrawal(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    reason: str = Field(default="", max_length=400)


class RelayHistoryEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_status: RelayStatus | None
    to_status: RelayStatus
    rule: str
    reason_code: str | None = Field(description=REASON_DOC)
    actor: str = Field(description="操作した利用者（または system）")
    detail: dict[str, Any]
    at: Timestamp


class RelaySummary(BaseModel):
    """廃止取次 as the caller may see it: the two retailers see every field; OCCTO's helpdesk sees
    it without the customer's name, the contract number and the memo (those are then absent)."""
    model_config = ConfigDict(extra="forbid")
    relay_no: str = Field(description="廃止取次番号")
    spid: str = Field(description="供給地点特定番号", json_schema_extra=SPID_DOC)
    area: Area
    new_retailer: str = Field(description="新小売事業者コード")
    current_retailer: str = Field(description="現小売事業者コード")
    contract_no: str | None = Field(default=None, description="現小売との契約番号（当事者のみ）")
    customer_name_kana: str | None = Field(default=None, description="需要者氏名（カナ）（当事者のみ）")
    customer_name_kanji: str | None = Field(default=None, description="需要者氏名（漢字）（当事者のみ）")
    address: str
    building: str
    requested_switch_date: dt.date = Field(description="スイッチング希望日")
    contact_name: str
    contact_phone: str
    status: RelayStatus = Field(description="廃止取次ステータス")
    status_reason: str = Field(description=REASON_DOC + "（登録直後は空）")
    decision: RelayDecision | None = Field(description="判断 01 OK / 02 NG")
    decision_staff: str | None
    ng_reasons: list[NgReason] = Field(description="NG理由")
    ng_memo: str | None = Field(default=None, description="NG理由の補足（当事者のみ）")
    decided_at: Timestamp | None
    withdrawn_by: str | None = Field(description="取消した事業者コード")
    withdrawal_reason: str
    decision_deadline: dt.date = Field(description="判断期限")
    switch_start_no: str | None = Field(description="スイッチング開始申込番号")
    registered_by: str
    registered_at: Timestamp
    updated_at: Timestamp
    new_retailer_name: str
    current_retailer_name: str
    status_name: str = Field(description="ステータス名（日本語）")
    ng_reason_names: list[str] = Field(description="NG理由名（日本語）")


class Relay(RelaySummary):
    """One relay with its history (IS_20210 detail, and the answer of every change)."""
    history: list[RelayHistoryEntry]
    switch_start_date: dt.date | None = Field(
        default=None, description="リンクされたスイッチング開始申込の予定日（両小売事業者に表示）")


class RelayPage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    total: int
    page: int
    per_page: int
    items: list[RelaySummary]
