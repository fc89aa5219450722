"""Inputs and answers of client certificate administration."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from switchhub.kernel.codes import Area, CertStatus

INPUT = ConfigDict(strict=True, extra="forbid")
ANSWER = ConfigDict(extra="forbid")
#: web (Web client) / api (API) / area (a T&D's area system posting events to the hub, bound to areas)
Purpose = Literal["web", "api", "area"]


class CertificateUpload(BaseModel):
    model_config = INPUT
    pem: str = Field(max_length=20_000, description="PEM形式の X.509 証明書（秘密鍵は含めない）")


class CertificateInput(CertificateUpload):
    operator_code: str = Field(max_length=5)
    purpose: Purpose = Field(description="web（Web端末）/ api（API）/ area（エリアシステム: エリア→広域のイベント送信）")
    areas: list[Area] = Field(default_factory=list, max_length=10, description="area 用途の証明書が代弁するエリア")


class CertificateFacts(BaseModel):
    model_config = ANSWER
    fingerprint: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 フィンガープリント")
    subject: str
    issuer: str
    not_before: datetime | None
    not_after: datetime | None


class Certificate(CertificateFacts):
    operator_code: str
    operator_name: str
    purpose: Purpose
    areas: list[Area]
    status: CertStatus
    registered_at: datetime


class CertificatePage(BaseModel):
    model_config = ANSWER
    total: int
    page: int
    per_page: int
    items: list[Certificate]
