"""Inputs and answers of the sandbox developers API (`/api/v1/sandbox/developers`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from switchhub.hub.users.schemas import LoginId

ANSWER = ConfigDict(extra="forbid")
INPUT = ConfigDict(strict=True, extra="forbid")


class DeveloperInput(BaseModel):
    model_config = INPUT
    login_id: LoginId
    display_name: str = Field(min_length=1, max_length=100, description="開発者の氏名")
    email: str = Field(default="", max_length=254, description="メールアドレス")


class DeveloperCertificate(BaseModel):
    model_config = ANSWER
    fingerprint: str = Field(description="SHA-256 フィンガープリント（16進）")
    subject: str
    status: Literal["active", "suspended"]
    not_before: datetime | None
    not_after: datetime | None


class Developer(BaseModel):
    model_config = ANSWER
    login_id: str
    display_name: str
    email: str
    status: Literal["active", "revoked"]
    status_reason: Literal["created_by_admin", "revoked_by_admin"] = Field(description="状態の理由コード")
    key_id: str = Field(description="発行したAPIクレデンシャルのキーID")
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    certificate: DeveloperCertificate


class DeveloperIssued(BaseModel):
    """Shown once: nothing secret is stored by the hub, it cannot be shown again."""
    model_config = ANSWER
    developer: Developer
    token: str = Field(description="APIクレデンシャル（Authorization: Bearer …）")
    p12_password: str = Field(description="PKCS#12 ファイルのワンタイムパスワード")
    p12_base64: str = Field(description="クライアント証明書と秘密鍵（PKCS#12、base64）")
    cert_pem: str = Field(description="クライアント証明書（PEM）")
    key_pem: str = Field(description="秘密鍵（PEM、暗号化なし）")


class DeveloperPage(BaseModel):
    model_config = ANSWER
    total: int
    page: int
    page_size: int
    items: list[Developer]
