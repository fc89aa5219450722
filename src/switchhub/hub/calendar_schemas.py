"""The answer of the reading-day calendar API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from switchhub.kernel.codes import Area


class ReadingMonth(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: int = Field(ge=1, le=12)
    dates: dict[str, dt.date] = Field(description="検針日コード → その月の実検針日")


class ReadingCalendar(BaseModel):
    model_config = ConfigDict(extra="forbid")
    area: Area
    area_name: str
    year: int
    codes: list[str] = Field(description="このエリアで有効な検針日コード")
    months: list[ReadingMonth]
