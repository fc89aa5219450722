"""Answers of the hub's supply point API (the point itself is `contract.points.SupplyPoint`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from switchhub.contract.points import Spid, SupplyPoint, export_media
from switchhub.kernel.codes import Area

#: The export's compressed bodies, as the OpenAPI document states them (`compression=` chooses;
#: CSV or NDJSON inside either way).
EXPORT_MEDIA = export_media("CSV (UTF-8, header row) or NDJSON, gzip or zstd as compression= asks")


class BatchFailure(BaseModel):
    """A point whose area could not answer (the other areas' points are still answered)."""
    model_config = ConfigDict(extra="forbid")
    spid: Spid
    status: int = Field(description="HTTP status of the area's failure (503 / 504)")
    code: str
    message: str


class BatchLookupAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[SupplyPoint] = Field(description="見つかった供給地点（照会順）")
    not_found: list[Spid] = Field(description="該当なし、または照会できない供給地点")
    failed: list[BatchFailure] = Field(description="エリアシステムが応答しなかった供給地点")


class UnavailableArea(BaseModel):
    model_config = ConfigDict(extra="forbid")
    area: Area
    code: str


class SearchPage(BaseModel):
    """Search results (public fields only, meter numbers masked unless searched by meter number)."""
    model_config = ConfigDict(extra="forbid")
    total: int = Field(description="該当件数（最大100）")
    truncated: bool = Field(description="100件を超えたため打ち切った")
    page: int
    per_page: int
    items: list[SupplyPoint]
    unavailable_areas: list[UnavailableArea] = Field(description="応答しなかったエリア（結果に含まれない）")
    message: str | None = Field(default=None, description="打ち切り時の案内（日本語）")
    message_en: str | None = Field(default=None, description="打ち切り時の案内（英語）")
