"""Supply points in the contract: lookup, batch lookup, search and export requests and answers.

A point is answered as the caller may see it (kernel.visibility decides, in the area and again
at the hub), so its fields are open here; the hub's API publishes the field list per caller.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from switchhub.kernel.spid import SPID_DOC


class BatchGetRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    spids: list[Annotated[str, Field(max_length=40, json_schema_extra=SPID_DOC)]] = Field(
        min_length=1, max_length=1000, description="供給地点特定番号（最大1,000件）")


class PointItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    relationship: str = Field(description="照会者と供給地点の関係 (current / former / other …)")
    point: dict[str, Any]


class BatchAnswer(BaseModel):
    items: list[PointItem]
    not_found: list[str]


class SearchAnswer(BaseModel):
    total: int
    truncated: bool
    items: list[dict[str, Any]]


SEARCH_PARAMS = ("prefecture", "city", "town", "block", "building", "room", "pole_no", "meter_no")
