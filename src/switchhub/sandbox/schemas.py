"""The sandbox API's models (hub `/api/v1/sandbox/*`, area `/area/v1/sandbox/*`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ClockAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    now: str = Field(
        description="サンドボックスの現在時刻 (JST, ISO 8601)", json_schema_extra={"format": "date-time"}
    )
    offset_seconds: int = Field(description="実時刻からのずれ（秒）")
    tenant: str = Field(description="サンドボックスのテナント名")


class MoveClock(BaseModel):
    """Exactly one of the three; checked by the service so that each mistake gets its Japanese message."""

    model_config = ConfigDict(extra="forbid")
    advance: str | None = Field(
        None, description="進める時間 (ISO 8601 の期間、正の値のみ。例 P3D, PT2H30M)", examples=["P3D"]
    )
    to: str | None = Field(
        None, description="この日時まで進める（戻すことはできません）", examples=["2027-01-05T09:00:00+09:00"]
    )
    to_next_reading_day: bool | None = Field(
        None, description="次の検針日（東京エリア、検針日コード 01）の 0:00 (JST) まで進める"
    )


class ResetAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reset: bool
    tenant: str
    now: str = Field(json_schema_extra={"format": "date-time"})
    offset_seconds: int


class AreaClockRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offset_seconds: int = Field(ge=0, le=100 * 366 * 86400)
