"""Inputs and answers of the user administration API (users, their credentials, my TOTP)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Timestamp = datetime
Role = Literal["admin", "general", "helpdesk", "api"]
UserStatus = Literal["active", "frozen", "suspended", "deleted"]
LoginId = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$",
                               description="ユーザID（英小文字・数字・. _ -）")]
ANSWER = ConfigDict(extra="forbid")
INPUT = ConfigDict(strict=True, extra="forbid")


class UserInput(BaseModel):
    model_config = INPUT
    login_id: LoginId
    display_name: str = Field(min_length=1, max_length=100, description="氏名")
    email: str = Field(default="", max_length=254, description="メールアドレス")
    role: Role = Field(description="admin 管理者 / general 一般 / api APIユーザ（OCCTO: helpdesk）")


class UserAction(BaseModel):
    """Suspend / restore / delete / reset: an optional note for the audit record."""
    model_config = INPUT
    note: str = Field(default="", max_length=200, description="理由・メモ（監査ログに記録）")


class TotpStart(BaseModel):
    """Starting an enrolment takes nothing (the secret is generated)."""
    model_config = INPUT


class UserChange(BaseModel):
    model_config = INPUT
    display_name: str = Field(min_length=1, max_length=100)
    email: str = Field(default="", max_length=254)
    role: Role


class User(BaseModel):
    model_config = ANSWER
    login_id: str
    display_name: str
    email: str
    role: Role
    status: UserStatus
    is_api_user: bool
    totp_enabled: bool
    must_change_password: bool = Field(description="次回ログイン時にパスワード変更が必要")
    created_at: Timestamp
    updated_at: Timestamp
    deleted_at: Timestamp | None


class Credential(BaseModel):
    model_config = ANSWER
    key_id: str
    label: str
    created_at: Timestamp
    last_used_at: Timestamp | None
    revoked_at: Timestamp | None
    revoked: bool


class UserDetail(User):
    credentials: list[Credential] = Field(default_factory=list)


class UserPage(BaseModel):
    model_config = ANSWER
    total: int
    page: int
    page_size: int
    items: list[User]


class UserIssued(BaseModel):
    """A created or changed user with the secrets shown only in this answer."""
    model_config = ANSWER
    user: User
    initial_password: str | None = Field(description="初期パスワード（ワンタイム・この応答でのみ表示）")
    totp_secret: str | None = Field(description="TOTPシークレット（管理者・ヘルプデスク・この応答でのみ表示）")
    totp_uri: str | None = Field(description="otpauth:// URI（認証アプリ登録用）")


class PasswordReset(BaseModel):
    model_config = ANSWER
    login_id: str
    initial_password: str = Field(description="新しいワンタイムパスワード（この応答でのみ表示）")
    must_change_password: bool


class CredentialInput(BaseModel):
    model_config = INPUT
    label: str = Field(default="", max_length=100)


class CredentialIssued(BaseModel):
    model_config = ANSWER
    login_id: str
    key_id: str
    label: str
    token: str = Field(description="APIクレデンシャル（この応答でのみ表示）")


class CredentialList(BaseModel):
    model_config = ANSWER
    login_id: str
    items: list[Credential]


class CredentialRevoked(BaseModel):
    model_config = ANSWER
    key_id: str
    revoked: bool


class TotpStatus(BaseModel):
    model_config = ANSWER
    enabled: bool
    pending: bool
    required: bool


class TotpEnrolment(BaseModel):
    model_config = ANSWER
    secret: str = Field(description="TOTPシークレット（この応答でのみ表示）")
    otpauth_uri: str


class TotpCode(BaseModel):
    model_config = INPUT
    code: str = Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")


class TotpDisable(BaseModel):
    model_config = INPUT
    password: str = Field(min_length=1, max_length=256)
    code: str = Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")


class TotpChanged(BaseModel):
    model_config = ANSWER
    enabled: bool


class BulkIssue(BaseModel):
    model_config = ANSWER
    row: int = Field(description="ファイルの行番号（見出し行 = 1）")
    field: str
    column: str
    code: str
    message: str
    message_en: str


class BulkCreated(BaseModel):
    model_config = ANSWER
    row: int
    login_id: str
    role: Role
    initial_password: str | None = Field(description="初期パスワード（この応答でのみ表示）")
    totp_secret: str | None


class BulkChanged(BaseModel):
    model_config = ANSWER
    row: int
    login_id: str
    totp_secret: str | None


class UserBulkReport(BaseModel):
    model_config = ANSWER
    mode: Literal["validate", "apply"]
    rows: int
    ok: bool
    issues: list[BulkIssue]
    created: list[BulkCreated]
    changed: list[BulkChanged]
