"""Relay inputs (strict; dates as YYYY-MM-DD strings)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from switchhub.kernel.spid import SPID_DOC


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
