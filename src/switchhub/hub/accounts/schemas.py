"""Inputs and answers of the accounts API: who am I, my password, the operator directory, credentials."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from switchhub.kernel.codes import Area, CertPurpose, OperatorKind, OperatorStatus

ANSWER = ConfigDict(extra="forbid")


class PasswordChange(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class MyOperator(BaseModel):
    model_config = ANSWER
    code: str = Field(description="事業者コード")
    name: str
    kind: OperatorKind
    areas: list[Area]


class MyUser(BaseModel):
    model_config = ANSWER
    login_id: str
    display_name: str
    role: str = Field(description="admin 管理者 / general 一般 / helpdesk / api")
    is_api_user: bool


class MyCertificate(BaseModel):
    model_config = ANSWER
    fingerprint_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    subject: str
    purpose: CertPurpose


class MyRateLimit(BaseModel):
    model_config = ANSWER
    per_second: float = Field(description="持続レート (requests/s)")
    burst: int = Field(description="バースト (bucket size)")


class Me(BaseModel):
    model_config = ANSWER
    operator: MyOperator
    user: MyUser
    certificate: MyCertificate
    rate_limit: MyRateLimit


class PasswordChanged(BaseModel):
    model_config = ANSWER
    changed: bool


class OperatorEntry(BaseModel):
    model_config = ANSWER
    code: str = Field(description="事業者コード")
    name: str
    name_kana: str
    kind: OperatorKind
    areas: list[Area]
    incumbent_areas: list[Area] = Field(description="みなし小売電気事業者であるエリア")
    contact_name: str
    contact_phone: str
    status: OperatorStatus


class OperatorList(BaseModel):
    model_config = ANSWER
    total: int
    items: list[OperatorEntry]


class CredentialRevoked(BaseModel):
    model_config = ANSWER
    key_id: str
    revoked: bool
