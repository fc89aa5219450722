"""The answer of the access-log API."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


class AuditRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int
    at: Annotated[str, Field(json_schema_extra={"format": "date-time"})]
    request_id: str
    operator_code: str | None
    user_login: str | None
    cert_fingerprint: str | None
    action: str = Field(description="操作 (source.subject.action, e.g. api.supply_point.lookup)")
    resource_type: str
    resource_ids: list[str]
    fields: list[str] = Field(description="答えた項目（個人情報・供給者項目）")
    purpose: str
    outcome: str
    item_count: int
    remote_addr: str
    detail: dict[str, Any]


class AuditPage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page: int
    per_page: int
    items: list[AuditRecord]
