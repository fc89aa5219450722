"""Hub API input models (strict) for supply point operations."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from switchhub.kernel.spid import SPID_DOC


class BatchGetRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    spids: list[Annotated[str, Field(max_length=40, json_schema_extra=SPID_DOC)]] = Field(
        min_length=1, max_length=1000, description="供給地点特定番号（最大1,000件）")
