"""Inputs and answers of OCCTO's operator administration (register, change, suspend, first admin)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from switchhub.kernel.codes import Area, OperatorKind, OperatorStatus

INPUT = ConfigDict(strict=True, extra="forbid")
ANSWER = ConfigDict(extra="forbid")


class OperatorInput(BaseModel):
    """A new operator; the service checks each field's form (and answers in Japanese field by field)."""

    model_config = INPUT
    code: str = Field(max_length=20, description="事業者コード（英大文字・数字5桁）")
    kind: OperatorKind
    name: str = Field(max_length=200, description="事業者名（漢字）")
    name_kana: str = Field(max_length=200, description="事業者名（カナ、全角カタカナ）")
    areas: list[Area] = Field(default_factory=list, max_length=10, description="事業を行うエリア")
    incumbent_areas: list[Area] = Field(default_factory=list, max_length=10, description="みなし小売であるエリア")
    contact_name: str = Field(max_length=200, description="連絡先担当者名")
    contact_phone: str = Field(max_length=40, description="連絡先電話番号")
    email: str = Field(max_length=254, description="連絡先メールアドレス")


class OperatorChange(BaseModel):
    """The fields to change (code and kind stay)."""

    model_config = INPUT
    name: str | None = Field(default=None, max_length=200)
    name_kana: str | None = Field(default=None, max_length=200)
    areas: list[Area] | None = Field(default=None, max_length=10)
    incumbent_areas: list[Area] | None = Field(default=None, max_length=10)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)


class StatusChange(BaseModel):
    """Suspension or restoration, with the reason kept in the audit record (optional)."""

    model_config = INPUT
    reason: str = Field(default="", max_length=400, description="理由（監査記録に残る）")


class AdminUserInput(BaseModel):
    model_config = INPUT
    login_id: str = Field(max_length=64, description="ユーザID（英小文字・数字・ハイフン、4〜32文字）")
    display_name: str = Field(max_length=100)
    email: str = Field(max_length=254)


class OperatorDetail(BaseModel):
    model_config = ANSWER
    code: str
    kind: OperatorKind
    name: str
    name_kana: str
    areas: list[Area]
    incumbent_areas: list[Area]
    contact_name: str
    contact_phone: str
    email: str
    status: OperatorStatus
    created_at: datetime
    updated_at: datetime


class OperatorPage(BaseModel):
    model_config = ANSWER
    total: int
    page: int
    per_page: int
    items: list[OperatorDetail]


class AdminUserCreated(BaseModel):
    """Shown once: the initial password (to be changed at the first login) and the TOTP enrolment URI."""

    model_config = ANSWER
    login_id: str
    operator_code: str
    display_name: str
    initial_password: str = Field(description="初期パスワード（この応答でのみ表示、初回ログイン時に変更）")
    totp_uri: str = Field(description="otpauth:// URI（認証アプリに登録、この応答でのみ表示）")
