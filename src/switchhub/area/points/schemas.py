"""Area-side request models (strict: lax mode once accepted 0 as a date)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class BatchRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    spids: list[str] = Field(min_length=1, max_length=1000)
