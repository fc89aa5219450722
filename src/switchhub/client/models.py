"""Typed models of the hub API, GENERATED from its OpenAPI document by `switchhub.client.codegen`.

Do not edit: regenerate (see codegen.py); tests/client/test_models.py fails when this file and the
hub's document differ.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class RequestModel(BaseModel):
    """A request body: unknown fields are refused before anything is sent."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AnswerModel(BaseModel):
    """An answer: fields added by a later version of v1 are kept, not refused."""
    model_config = ConfigDict(extra="allow", populate_by_name=True)

ApplicationStage = Literal["01", "02", "03", "04", "05", "06", "07", "08", "09", "10"]

ApplicationType = Literal["01", "02", "03", "04", "05", "06", "07", "08", "12", "13", "14", "15", "16", "17"]

Area = Literal["01", "02", "03", "04", "05", "06", "07", "08", "09", "10"]

CapacityMethod = Literal["1", "2", "3"]

Channel = Literal["low", "high", "low_fit"]

ContractForm = Literal["01", "02", "03", "04", "05", "06"]

ContractStatus = Literal["1", "2", "3", "4"]

DisconnectionMethod = Literal["1", "2", "3"]

FileType = Literal["W40110", "W41110", "W40120", "W41120", "W51210", "W51220", "C01", "C02", "C03"]

MeterType = Literal["1", "2", "3"]

NgReason = Literal["1", "2", "3", "4", "5", "6", "7", "8", "9"]

OperationMode = Literal["0", "1"]

RelayDecision = Literal["01", "02"]

RelayStatus = Literal["01", "02", "03", "04", "05", "06", "07"]

ServiceMenu = Literal["01", "02", "03", "04"]

SupplyMethod = Literal["1", "2", "3", "4"]


class AmpereChangeRequest(RequestModel):
    """アンペア変更 (06) by the current supplier, low voltage with アンペアブレーカ契約 only."""
    spid: str
    effective_date: _dt.date | None = None
    contract_current: int


class ApplicationAnswer(AnswerModel):
    """業務処理状況確認 (IF_xxx20): one application as the caller may see it."""
    application_no: str
    type: ApplicationType
    type_name: str
    spid: str
    stage: ApplicationStage
    stage_name: str
    terminal: bool
    applicant_code: str
    received_at: str
    switch_date: str | None = None
    requested_date: str | None = None
    customer_request: bool | None = None
    meter_work: bool | None = None
    matching_deadline: str | None = None
    matched_with: str | None = None
    relay_no: str | None = None
    supply_start_date: str | None = None
    supply_end_date: str | None = None
    meter_replaced_date: str | None = None
    reason_code: str | None = None
    notes: str | None = None
    messages: list[dict[str, Any]] | None = None
    history: list[HistoryEntry] | None = None
    effective_date: str | None = None
    details: dict[str, Any] | None = None
    previous: dict[str, Any] | None = None
    warnings: list[dict[str, Any]] | None = None


class ApplicationList(AnswerModel):
    total: int
    page: int
    per_page: int
    items: list[ApplicationRow]


class ApplicationRow(AnswerModel):
    """One application as the hub's index knows it (no customer data: the status page has the rest)."""
    application_no: str
    area: Area
    area_name: str
    spid: str
    type: ApplicationType
    type_name: str
    stage: ApplicationStage
    stage_name: str
    terminal: bool
    applicant_code: str
    relay_no: str | None = None
    requested_date: _dt.date | None = None
    received_at: _dt.datetime
    updated_at: _dt.datetime


class BatchFailure(AnswerModel):
    """A point whose area could not answer (the other areas' points are still answered)."""
    spid: str
    status: int
    code: str
    message: str


class BatchGetRequest(RequestModel):
    spids: list[str]


class BatchLookupAnswer(AnswerModel):
    items: list[SupplyPoint]
    not_found: list[str]
    failed: list[BatchFailure]


class CorrectionRequest(RequestModel):
    """更新フラグ 2 訂正: the fields of the application's own type that may still change (before its dates ar…"""
    switch_date: _dt.date | None = None
    end_date: _dt.date | None = None
    start_date: _dt.date | None = None
    effective_date: _dt.date | None = None
    customer_request: bool | None = None
    remove_meter: bool | None = None
    attendance: bool | None = None
    reason_note: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    move_in_time: str | None = None
    service_menu: Literal["01", "02", "03", "04"] | None = None
    capacity_method: Literal["1", "2", "3"] | None = None
    contract_current: int | None = None
    contract_capacity: float | None = None
    contract_power: float | None = None
    customer_name_kana: str | None = None
    customer_name_kanji: str | None = None
    customer_phone: str | None = None


class CustomerChangeRequest(RequestModel):
    """需要者情報変更 (07; 受電者情報変更 17 at a FIT point) by the current supplier: at least one field."""
    spid: str
    effective_date: _dt.date | None = None
    customer_name_kana: str | None = None
    customer_name_kanji: str | None = None
    customer_phone: str | None = None


class FeedAnswer(AnswerModel):
    """異動申込一括取得: the stage changes after the cursor, per area in order; the next cursor continues."""
    items: list[HubFeedItem]
    next_cursor: str
    unavailable_areas: list[FeedUnavailableArea] | None = None


class FeedUnavailableArea(AnswerModel):
    """An area that did not answer the feed: its HTTP status (503/504) and problem code."""
    area: Area
    status: int
    code: str


class FieldIssue(AnswerModel):
    field: str
    code: str
    message: str


class HistoryEntry(AnswerModel):
    seq: int
    from_stage: ApplicationStage | None
    to_stage: ApplicationStage
    rule: str
    reason_code: str | None = None
    at: str


class HubFeedItem(AnswerModel):
    seq: int
    application_no: str
    type: ApplicationType
    spid: str
    from_stage: ApplicationStage | None
    to_stage: ApplicationStage
    rule: str
    reason_code: str | None = None
    at: str
    switch_date: str | None = None
    requested_date: str | None = None
    area: Area


class Meter(AnswerModel):
    """計器情報 (fields in the order the area stores them)."""
    smart: bool
    meter_no: str
    meter_type: MeterType
    auto_reading: bool
    interval_collectable: bool


class MeteringFileList(AnswerModel):
    """計量データ一覧: the caller's files after the cursor, oldest first; the next cursor continues (a later …"""
    items: list[MeteringFileRow]
    next_cursor: str
    has_more: bool


class MeteringFileRow(AnswerModel):
    """One file (one revision) as the hub's index knows it; the bytes are fetched by its file_id."""
    file_id: str
    area: Area
    retailer_code: str
    type: FileType
    type_name: str
    target_date: str | None
    target_month: str | None
    slot_time: str | None
    sequence: int
    revision: int
    latest: bool
    supersedes: str | None
    superseded_by: str | None
    name: str
    json_name: str
    points: int | None
    size_bytes: int | None
    sha256: str | None
    operation_mode: OperationMode | None
    published_at: str


class PendingApplication(AnswerModel):
    """異動申込受付情報: an open application at the point."""
    type: ApplicationType
    received_date: _dt.date


class Problem(AnswerModel):
    """RFC 9457 problem details with a stable `code`"""
    type: str
    status: int
    title: str
    detail: str
    code: str
    request_id: str | None = None
    errors: list[FieldIssue] | None = None


class ReconnectionRequest(RequestModel):
    """再点 (04; 15 at a FIT point): only at a vacant point, or after a pending termination's date."""
    service_menu: Literal["01", "02", "03", "04"]
    capacity_method: Literal["1", "2", "3"]
    contract_current: int | None = None
    contract_capacity: float | None = None
    contract_power: float | None = None
    customer_name_kana: str
    customer_name_kanji: str
    customer_phone: str
    consent: bool
    spid: str
    start_date: _dt.date | None = None
    move_in_time: str | None = None


class Relay(AnswerModel):
    """One relay with its history (IS_20210 detail, and the answer of every change)."""
    relay_no: str
    spid: str
    area: Area
    new_retailer: str
    current_retailer: str
    contract_no: str | None = None
    customer_name_kana: str | None = None
    customer_name_kanji: str | None = None
    address: str
    building: str
    requested_switch_date: _dt.date
    contact_name: str
    contact_phone: str
    status: RelayStatus
    status_reason: str
    decision: RelayDecision | None
    decision_staff: str | None
    ng_reasons: list[NgReason]
    ng_memo: str | None = None
    decided_at: _dt.datetime | None
    withdrawn_by: str | None
    withdrawal_reason: str
    decision_deadline: _dt.date
    switch_start_no: str | None
    registered_by: str
    registered_at: _dt.datetime
    updated_at: _dt.datetime
    new_retailer_name: str
    current_retailer_name: str
    status_name: str
    ng_reason_names: list[str]
    history: list[RelayHistoryEntry]
    switch_start_date: _dt.date | None = None


class RelayDecisionInput(RequestModel):
    decision: Literal["01", "02"]
    staff_name: str
    ng_reasons: list[Literal["1", "2", "3", "4", "5", "6", "7", "8", "9"]] | None = None
    memo: str | None = None


class RelayHistoryEntry(AnswerModel):
    from_status: RelayStatus | None
    to_status: RelayStatus
    rule: str
    reason_code: str | None
    actor: str
    detail: dict[str, Any]
    at: _dt.datetime


class RelayPage(AnswerModel):
    total: int
    page: int
    per_page: int
    items: list[RelaySummary]


class RelayRegistration(RequestModel):
    spid: str
    current_retailer_code: str
    contract_no: str
    customer_name_kana: str
    customer_name_kanji: str
    address: str
    building: str | None = None
    requested_switch_date: _dt.date
    contact_name: str
    contact_phone: str


class RelaySummary(AnswerModel):
    """廃止取次 as the caller may see it: the two retailers see every field; OCCTO's helpdesk sees it with…"""
    relay_no: str
    spid: str
    area: Area
    new_retailer: str
    current_retailer: str
    contract_no: str | None = None
    customer_name_kana: str | None = None
    customer_name_kanji: str | None = None
    address: str
    building: str
    requested_switch_date: _dt.date
    contact_name: str
    contact_phone: str
    status: RelayStatus
    status_reason: str
    decision: RelayDecision | None
    decision_staff: str | None
    ng_reasons: list[NgReason]
    ng_memo: str | None = None
    decided_at: _dt.datetime | None
    withdrawn_by: str | None
    withdrawal_reason: str
    decision_deadline: _dt.date
    switch_start_no: str | None
    registered_by: str
    registered_at: _dt.datetime
    updated_at: _dt.datetime
    new_retailer_name: str
    current_retailer_name: str
    status_name: str
    ng_reason_names: list[str]


class RelayWithdrawal(RequestModel):
    reason: str | None = None


class SearchPage(AnswerModel):
    """Search results (public fields only, meter numbers masked unless searched by meter number)."""
    total: int
    truncated: bool
    page: int
    per_page: int
    items: list[SupplyPoint]
    unavailable_areas: list[UnavailableArea]
    message: str | None = None
    message_en: str | None = None


class SupplyPoint(AnswerModel):
    """設備情報 (domain.md): every field the hub may answer, in answer order."""
    spid: str | None = None
    area: Area | None = None
    channel: Channel | None = None
    postcode: str | None = None
    prefecture: str | None = None
    city: str | None = None
    town: str | None = None
    block: str | None = None
    building: str | None = None
    room: str | None = None
    island_flag: bool | None = None
    contract_form: ContractForm | None = None
    capacity_method: CapacityMethod | None = None
    contract_current: int | None = None
    contract_capacity: float | None = None
    current_upper_limit: int | None = None
    current_limit_value: int | None = None
    ampere_breaker: bool | None = None
    breaker_remote: bool | None = None
    minimum_charge: bool | None = None
    power_factor: int | None = None
    flat_rate_lamp: str | None = None
    meters: list[Meter] | None = None
    pole_no: str | None = None
    supply_method: SupplyMethod | None = None
    disconnection_method: DisconnectionMethod | None = None
    reading_day_code: str | None = None
    next_reading_date: _dt.date | None = None
    next_but_one_reading_date: _dt.date | None = None
    past_new_extension_dates: list[_dt.date] | None = None
    contract_status: ContractStatus | None = None
    pending_applications: list[PendingApplication] | None = None
    service_menu: ServiceMenu | None = None
    contract_power: float | None = None
    customer_name_kana: str | None = None
    customer_name_kanji: str | None = None
    customer_phone: str | None = None
    contact_phone: str | None = None
    current_retailer_code: str | None = None
    current_retailer_name: str | None = None
    load_equipment: str | None = None
    tso_notes: str | None = None


class SwitchEndRequest(RequestModel):
    """スイッチング廃止 (03; 14 at a FIT point): the current retailer."""
    spid: str
    switch_date: _dt.date | None = None
    customer_request: bool | None = None
    relay_no: str | None = None


class SwitchStartRequest(RequestModel):
    """スイッチング開始 (05; 16 at a FIT point): the new retailer."""
    service_menu: Literal["01", "02", "03", "04"]
    capacity_method: Literal["1", "2", "3"]
    contract_current: int | None = None
    contract_capacity: float | None = None
    contract_power: float | None = None
    customer_name_kana: str
    customer_name_kanji: str
    customer_phone: str
    consent: bool
    spid: str
    switch_date: _dt.date | None = None
    customer_request: bool | None = None
    relay_no: str | None = None


class TerminationRequest(RequestModel):
    """廃止 (01) or 廃止・撤去 (02) by the current supplier; 12/13 at a FIT point; high voltage: 02 only."""
    spid: str
    end_date: _dt.date | None = None
    remove_meter: bool | None = None
    attendance: bool | None = None
    reason_note: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None


class UnavailableArea(AnswerModel):
    area: Area
    code: str


class UsageAnswer(AnswerModel):
    """The usage of one point for the holder of a valid password (IF_10310/IF_K10310)."""
    spid: str
    interval_data: bool
    period_start: _dt.date
    window_start: _dt.date
    withheld_before: _dt.date | None
    months: list[UsageMonth]
    days: list[UsageDay]


class UsageBatchAnswer(AnswerModel):
    """One item per requested point, in the request's order."""
    items: list[UsageBatchItem]


class UsageBatchInquiryRequest(RequestModel):
    """使用量照会（複数地点）: one password for up to 20 points (the points of one password request)."""
    spids: list[str]
    password: str
    purpose: str


class UsageBatchItem(AnswerModel):
    """One point of a batch inquiry: its usage, or the same refusal as the per-point route's 403."""
    spid: str
    outcome: Literal["answered", "refused"]
    code: str | None = None
    usage: UsageAnswer | None = None


class UsageDay(AnswerModel):
    """One day of 30-minute values, compact: one text for the 48 kWh values and one for the 48 statuse…"""
    date: _dt.date
    kwh: str
    status: str


class UsageDocument(AnswerModel):
    """本人確認書類: PDF, JPEG, PNG or GIF, judged by its content (not its name), ≤ 1 MB decoded."""
    filename: str
    content_base64: str


class UsageInquiryRequest(RequestModel):
    """使用量照会: the password (in the body, never in a URL) and why the data is asked for (audited)."""
    password: str
    purpose: str


class UsageMonth(AnswerModel):
    billing_month: str
    kwh: str
    max_demand_kw: str | None
    power_factor: int | None
    next_reading_date: _dt.date | None


class UsagePasswordAnswer(AnswerModel):
    """The request as filed and its status (IF_10210/IF_10220 and their high-voltage twins)."""
    application_no: str
    type: str
    channel: Channel
    stage: ApplicationStage
    stage_name: str
    applicant_origin: Literal["retailer", "public"] | None = None
    applicant_code: str | None
    points: list[str]
    validity_days: int
    received_at: str
    review_deadline: _dt.date
    verification: Literal["auto", "review"]
    reason_code: str
    note: str | None = None
    issued_at: str | None = None
    expires_at: str | None = None
    expired: bool | None = None
    password: str | None = None


class UsagePasswordRequest(RequestModel):
    """使用量情報照会申請 (type 08): 1–20 points of one customer in one area, low or high voltage."""
    spids: list[str]
    validity_days: int
    customer_name_kana: str
    customer_name_kanji: str
    address: str
    phone: str
    consent_date: _dt.date
    documents: list[UsageDocument] | None = None


class WithdrawRequest(RequestModel):
    reason: str

AmpereChangeRequest.model_rebuild()
ApplicationAnswer.model_rebuild()
ApplicationList.model_rebuild()
ApplicationRow.model_rebuild()
BatchFailure.model_rebuild()
BatchGetRequest.model_rebuild()
BatchLookupAnswer.model_rebuild()
CorrectionRequest.model_rebuild()
CustomerChangeRequest.model_rebuild()
FeedAnswer.model_rebuild()
FeedUnavailableArea.model_rebuild()
FieldIssue.model_rebuild()
HistoryEntry.model_rebuild()
HubFeedItem.model_rebuild()
Meter.model_rebuild()
MeteringFileList.model_rebuild()
MeteringFileRow.model_rebuild()
PendingApplication.model_rebuild()
Problem.model_rebuild()
ReconnectionRequest.model_rebuild()
Relay.model_rebuild()
RelayDecisionInput.model_rebuild()
RelayHistoryEntry.model_rebuild()
RelayPage.model_rebuild()
RelayRegistration.model_rebuild()
RelaySummary.model_rebuild()
RelayWithdrawal.model_rebuild()
SearchPage.model_rebuild()
SupplyPoint.model_rebuild()
SwitchEndRequest.model_rebuild()
SwitchStartRequest.model_rebuild()
TerminationRequest.model_rebuild()
UnavailableArea.model_rebuild()
UsageAnswer.model_rebuild()
UsageBatchAnswer.model_rebuild()
UsageBatchInquiryRequest.model_rebuild()
UsageBatchItem.model_rebuild()
UsageDay.model_rebuild()
UsageDocument.model_rebuild()
UsageInquiryRequest.model_rebuild()
UsageMonth.model_rebuild()
UsagePasswordAnswer.model_rebuild()
UsagePasswordRequest.model_rebuild()
WithdrawRequest.model_rebuild()
