"""Hub API input models (strict) for supply point operations."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class BatchGetRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    spids: list[str] = Field(min_length=1, max_length=1000, description="供給地点特定番号（最大1,000件）")
