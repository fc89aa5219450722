"""The answer of the statistics API (one row per period and area, figures by metric)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from switchhub.kernel.codes import Area


class StatisticsRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period_start: str = Field(description="期間の初日（月: 1日、週: 月曜日、JST）", json_schema_extra={"format": "date"})
    area: Area
    values: dict[str, int] = Field(description="指標 → 件数。application:<申込種別>, relay:<取次状態>, lookup, "
                                               "usage_inquiry")


class StatisticsPage(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    period: Literal["month", "week"]
    from_: str = Field(alias="from", json_schema_extra={"format": "date"})
    to: str = Field(json_schema_extra={"format": "date"})
    metrics: list[str] = Field(description="指標（列の順）")
    refreshed_at: str | None = Field(description="最後に集計した時刻", json_schema_extra={"format": "date-time"})
    items: list[StatisticsRow]
