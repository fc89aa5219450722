"""Switching application inputs (P4), validated strictly; channel fit is checked by the service."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from switchhub.kernel.spid import SPID_DOC


class SwitchStartRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    spid: str = Field(max_length=40, description="供給地点特定番号", json_schema_extra=SPID_DOC)
    switch_date: dt.date | None = Field(default=None, description="スイッチング予定日（省略時は最短の定例検針日）")
    customer_request: bool = Field(default=False, description="需要者希望日（定例検針日以外を指定する場合）")
    service_menu: Literal["01", "02", "03", "04"] = Field(description="接続送電サービスメニュー")
    capacity_method: Literal["1", "2", "3"] = Field(description="契約決定方法")
    contract_current: int | None = Field(default=None, description="契約電流 (A) アンペアブレーカ契約")
    contract_capacity: float | None = Field(default=None, gt=0, le=49.9, description="契約容量 (kVA)")
    contract_power: float | None = Field(default=None, gt=0, le=2000, description="契約電力 (kW) 高圧・実量制")
    customer_name_kana: str = Field(min_length=1, max_length=80)
    customer_name_kanji: str = Field(min_length=1, max_length=80)
    customer_phone: str = Field(min_length=10, max_length=13)
    consent: bool = Field(description="託送供給等約款への需要者の同意")
    relay_no: str | None = Field(default=None, max_length=20, description="廃止取次番号")



class SwitchEndRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    spid: str = Field(max_length=40, description="供給地点特定番号", json_schema_extra=SPID_DOC)
    switch_date: dt.date | None = None
    customer_request: bool = False
    relay_no: str | None = Field(default=None, max_length=20)


class WithdrawRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    reason: str = Field(min_length=1, max_length=400, description="取消理由")
