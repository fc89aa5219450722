"""Break-glass inputs (strict) and answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from switchhub.hub.breakglass.rules import Reason, Status

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
AreaCode = Annotated[str, Field(pattern=r"^(0[1-9]|10)$")]
GrantableClass = Literal["supplier", "tso_only"]
LoginId = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9._@-]+$")]
GRANT_ID_PATTERN = r"^BG[0-9]{8}$"


class GrantRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    operator_code: str = Field(min_length=5, max_length=5, description="対象の事業者コード")
    users: list[LoginId] = Field(min_length=1, max_length=50, description="対象の利用者ID（その事業者の利用者）")
    field_classes: list[GrantableClass] = Field(min_length=1, max_length=2,
                                                description="開示する項目区分 (supplier: 供給者項目, tso_only: 送配電限定項目)")
    areas: list[AreaCode] = Field(min_length=1, max_length=10, description="対象エリア")
    disaster_title: str = Field(min_length=1, max_length=120, description="災害名（宣言された災害）")
    reason: str = Field(min_length=1, max_length=1000, description="必要な理由")
    starts_at: dt.datetime = Field(description="開始日時（タイムゾーン付き）")
    ends_at: dt.datetime = Field(description="終了日時（開始から最長7日）")


class GrantDecision(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    note: str = Field(default="", max_length=1000, description="承認・却下・取消のメモ")


class GrantHistoryEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_status: Status | None
    to_status: Status
    rule: str
    reason_code: Reason
    actor: str
    at: Timestamp


class Grant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grant_id: str = Field(json_schema_extra={"pattern": GRANT_ID_PATTERN})
    operator_code: str
    users: list[str]
    field_classes: list[GrantableClass]
    areas: list[str]
    disaster_title: str
    reason: str
    starts_at: Timestamp
    ends_at: Timestamp
    status: Status
    status_name: str
    status_reason: Reason
    in_force: bool = Field(description="現在有効か（承認済みかつ期間内、時計から計算）")
    requested_by: str
    requested_by_operator: str
    decided_by: str | None
    decided_at: Timestamp | None
    decision_note: str
    revoked_by: str | None
    revoked_at: Timestamp | None
    created_at: Timestamp
    history: list[GrantHistoryEntry] | None = None


class GrantPage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    total: int
    page: int
    per_page: int
    items: list[Grant]
