"""Applications in the contract: every request the hub forwards to an area and every answer it gets.

Inputs are validated strictly (lax mode once accepted 0 as a date); the fit to the point's channel
is checked by the area, which knows the point. The hub's API publishes the same models.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from switchhub.kernel.codes import ApplicationStage, ApplicationType
from switchhub.kernel.spid import SPID_DOC

SPID = Field(max_length=40, description="供給地点特定番号", json_schema_extra=SPID_DOC)
STRICT = ConfigDict(strict=True, extra="forbid")


class _Customer(BaseModel):
    """The new customer of a switch-start or a reconnection (需要者情報; 発電者 for FIT)."""
    service_menu: Literal["01", "02", "03", "04"] = Field(description="接続送電サービスメニュー")
    capacity_method: Literal["1", "2", "3"] = Field(description="契約決定方法 (1 アンペアブレーカ / 2 主開閉器 / 3 実量制)")
    contract_current: int | None = Field(default=None, description="契約電流 (A) アンペアブレーカ契約")
    contract_capacity: float | None = Field(default=None, gt=0, le=49.9, description="契約容量 (kVA)")
    contract_power: float | None = Field(default=None, gt=0, le=2000, description="契約電力 (kW) 高圧・実量制")
    customer_name_kana: str = Field(min_length=1, max_length=80, description="需要者氏名（カナ）")
    customer_name_kanji: str = Field(min_length=1, max_length=80, description="需要者氏名（漢字）")
    customer_phone: str = Field(min_length=10, max_length=13, description="需要者電話番号")
    consent: bool = Field(description="託送供給等約款への需要者の同意")


class SwitchStartRequest(_Customer):
    """スイッチング開始 (05; 16 at a FIT point): the new retailer."""
    model_config = STRICT
    spid: str = SPID
    switch_date: dt.date | None = Field(default=None, description="スイッチング予定日（省略時は最短の定例検針日、"
                                                                "廃止取次があればその希望日）")
    customer_request: bool = Field(default=False, description="需要者希望日（定例検針日以外を指定する場合）")
    relay_no: str | None = Field(default=None, max_length=20, description="廃止取次番号")


class SwitchEndRequest(BaseModel):
    """スイッチング廃止 (03; 14 at a FIT point): the current retailer."""
    model_config = STRICT
    spid: str = SPID
    switch_date: dt.date | None = Field(default=None, description="スイッチング予定日（省略時は最短の定例検針日）")
    customer_request: bool = Field(default=False, description="需要者希望日（定例検針日以外を指定する場合）")
    relay_no: str | None = Field(default=None, max_length=20, description="廃止取次番号")


class TerminationRequest(BaseModel):
    """廃止 (01) or 廃止・撤去 (02) by the current supplier; 12/13 at a FIT point; high voltage: 02 only."""
    model_config = STRICT
    spid: str = SPID
    end_date: dt.date | None = Field(default=None, description="廃止日（供給最終日の翌日。省略時は最短の受付可能日）")
    remove_meter: bool = Field(default=False, description="計器撤去を伴う（廃止・撤去）")
    attendance: bool = Field(default=False, description="立会いを希望する")
    reason_note: str = Field(default="", max_length=200, description="廃止理由（転居など）")
    contact_name: str = Field(default="", max_length=80, description="現地連絡先氏名（撤去・立会い時は必須）")
    contact_phone: str = Field(default="", max_length=13, description="現地連絡先電話番号（撤去・立会い時は必須）")


class ReconnectionRequest(_Customer):
    """再点 (04; 15 at a FIT point): only at a vacant point, or after a pending termination's date."""
    model_config = STRICT
    spid: str = SPID
    start_date: dt.date | None = Field(default=None, description="再点日（供給開始日。省略時は最短の受付可能日）")
    move_in_time: str | None = Field(default=None, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                                     description="入居予定時刻 (HH:MM)")


class CustomerChangeRequest(BaseModel):
    """需要者情報変更 (07; 受電者情報変更 17 at a FIT point) by the current supplier: at least one field."""
    model_config = STRICT
    spid: str = SPID
    effective_date: dt.date | None = Field(default=None, description="変更日（省略時は最短の受付可能日）")
    customer_name_kana: str | None = Field(default=None, min_length=1, max_length=80, description="新しい氏名（カナ）")
    customer_name_kanji: str | None = Field(default=None, min_length=1, max_length=80, description="新しい氏名（漢字）")
    customer_phone: str | None = Field(default=None, min_length=10, max_length=13, description="新しい電話番号")


class AmpereChangeRequest(BaseModel):
    """アンペア変更 (06) by the current supplier, low voltage with アンペアブレーカ契約 only."""
    model_config = STRICT
    spid: str = SPID
    effective_date: dt.date | None = Field(default=None, description="変更日（省略時は最短の受付可能日）")
    contract_current: int = Field(description="新しい契約電流 (A): 10, 15, 20, 30, 40, 50, 60")


class CorrectionRequest(BaseModel):
    """更新フラグ 2 訂正: the fields of the application's own type that may still change (before its
    dates are fixed); fields of another type are refused by name."""
    model_config = STRICT
    switch_date: dt.date | None = None
    end_date: dt.date | None = None
    start_date: dt.date | None = None
    effective_date: dt.date | None = None
    customer_request: bool | None = None
    remove_meter: bool | None = None
    attendance: bool | None = None
    reason_note: str | None = Field(default=None, max_length=200)
    contact_name: str | None = Field(default=None, max_length=80)
    contact_phone: str | None = Field(default=None, max_length=13)
    move_in_time: str | None = Field(default=None, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    service_menu: Literal["01", "02", "03", "04"] | None = None
    capacity_method: Literal["1", "2", "3"] | None = None
    contract_current: int | None = None
    contract_capacity: float | None = Field(default=None, gt=0, le=49.9)
    contract_power: float | None = Field(default=None, gt=0, le=2000)
    customer_name_kana: str | None = Field(default=None, min_length=1, max_length=80)
    customer_name_kanji: str | None = Field(default=None, min_length=1, max_length=80)
    customer_phone: str | None = Field(default=None, min_length=10, max_length=13)


class WithdrawRequest(BaseModel):
    model_config = STRICT
    reason: str = Field(min_length=1, max_length=400, description="取消理由")


# The API's filing paths (`POST /applications/<kind>`), their request models, and the type codes an
# area may answer for each (the channel of the point picks the FIT variant; domain.md).
REQUESTS: dict[str, type[BaseModel]] = {
    "termination": TerminationRequest,
    "switch-end": SwitchEndRequest,
    "reconnection": ReconnectionRequest,
    "switch-start": SwitchStartRequest,
    "ampere-change": AmpereChangeRequest,
    "customer-change": CustomerChangeRequest,
}
KIND_TYPES: dict[str, tuple[str, ...]] = {
    "termination": ("01", "02", "12", "13"),
    "switch-end": ("03", "14"),
    "reconnection": ("04", "15"),
    "switch-start": ("05", "16"),
    "ampere-change": ("06",),
    "customer-change": ("07", "17"),
}
FilingRequest = (TerminationRequest | SwitchEndRequest | ReconnectionRequest | SwitchStartRequest
                 | AmpereChangeRequest | CustomerChangeRequest)


class HistoryEntry(BaseModel):
    seq: int
    from_stage: ApplicationStage | None
    to_stage: ApplicationStage
    rule: str
    reason_code: str | None = None
    at: str


class ApplicationAnswer(BaseModel):
    """業務処理状況確認 (IF_xxx20): one application as the caller may see it. Fields the caller may
    not see are absent (the applicant's customer `details` for a T&D's or the helpdesk's view)."""
    model_config = ConfigDict(extra="allow")
    application_no: str
    type: ApplicationType = Field(description="申込種別 (domain.md)")
    type_name: str
    spid: str = Field(description="供給地点特定番号", json_schema_extra=SPID_DOC)
    stage: ApplicationStage = Field(description="受付工程")
    stage_name: str
    terminal: bool
    applicant_code: str
    received_at: str
    switch_date: str | None = None
    requested_date: str | None = Field(default=None, description="申込の日付（スイッチング予定日・廃止日・再点日・変更日）")
    customer_request: bool = False
    meter_work: bool = False
    matching_deadline: str | None = None
    matched_with: str | None = None
    relay_no: str | None = None
    supply_start_date: str | None = None
    supply_end_date: str | None = None
    meter_replaced_date: str | None = None
    reason_code: str | None = None
    notes: str | None = None
    messages: list[dict[str, Any]] = Field(default_factory=list)
    history: list[HistoryEntry] = Field(default_factory=list)
    effective_date: str | None = Field(default=None, description="実施日（廃止日・再点日・変更日、確定後）")
    details: dict[str, Any] | None = Field(default=None, description="申込内容（申込者のみ）")
    previous: dict[str, Any] | None = Field(default=None, description="変更前の値（需要者情報変更・アンペア変更、申込者のみ）")
    warnings: list[dict[str, Any]] = Field(default_factory=list, description="受付時の注意（例: 対の申込と日付が異なる）")


class FeedItem(BaseModel):
    seq: int
    application_no: str
    type: ApplicationType
    spid: str = Field(description="供給地点特定番号", json_schema_extra=SPID_DOC)
    from_stage: ApplicationStage | None
    to_stage: ApplicationStage
    rule: str
    reason_code: str | None = None
    at: str
    switch_date: str | None = None
    requested_date: str | None = None


class AreaFeedPage(BaseModel):
    """One area's feed page: changes after `after`, and the last sequence number returned."""
    items: list[FeedItem]
    last_seq: int


# -- bulk filing (a bulk file's rows of one area, filed in one area transaction) -------------------

BULK_MAX_ITEMS = 10_000


class BulkFilingItem(BaseModel):
    """One row of a bulk file: its kind and the body a single filing of that kind would send."""
    model_config = STRICT
    row: int = Field(ge=1, description="ファイルの行番号")
    kind: Literal["termination", "switch-end", "reconnection", "switch-start", "ampere-change", "customer-change"]
    body: dict[str, Any] = Field(description="REQUESTS[kind] の本文")


class BulkFilingRequest(BaseModel):
    """Rows of one area, filed one after another in ONE area transaction, each with the checks of a
    single filing (in a savepoint, so a refused row changes nothing). dry_run: rolled back at the end;
    all_or_nothing: committed only if every row was accepted; valid_rows: the accepted rows committed."""
    model_config = STRICT
    dry_run: bool
    mode: Literal["all_or_nothing", "valid_rows"]
    items: list[BulkFilingItem] = Field(min_length=1, max_length=BULK_MAX_ITEMS)


class BulkFilingResult(BaseModel):
    row: int
    ok: bool
    application: dict[str, Any] | None = Field(default=None, description="ApplicationAnswer (accepted rows)")
    status: int | None = Field(default=None, description="the status a single filing would have answered")
    code: str | None = None
    message: str | None = None
    errors: list[dict[str, str]] = Field(default_factory=list, description="field, code, message (Japanese)")


class BulkFilingAnswer(BaseModel):
    committed: bool
    results: list[BulkFilingResult]
