"""The anomaly report's API models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FindingKind = Literal["lookup_volume", "lookup_without_application", "usage_off_hours", "many_certificates",
                      "retail_tso_access"]


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int
    kind: FindingKind
    operator_code: str
    user_login: str
    window_start: str = Field(json_schema_extra={"format": "date-time"})
    window_end: str = Field(json_schema_extra={"format": "date-time"})
    figures: dict[str, Any] = Field(description="検出の根拠となる数値としきい値")
    status: Literal["open", "acknowledged"]
    ack_note: str
    acknowledged_by: str | None
    acknowledged_at: str | None = Field(json_schema_extra={"format": "date-time"})
    found_at: str = Field(json_schema_extra={"format": "date-time"})


class FindingPage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    total: int
    page: int
    per_page: int
    items: list[Finding]


class AcknowledgeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=1000, description="確認メモ")
