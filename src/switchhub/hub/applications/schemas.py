"""Hub API answers for applications beyond the contract's: the merged feed over every area."""

from __future__ import annotations

from pydantic import BaseModel, Field

from switchhub.contract.applications import FeedItem
from switchhub.kernel.codes import Area


class HubFeedItem(FeedItem):
    area: Area = Field(description="エリア")


class FeedUnavailableArea(BaseModel):
    """An area that did not answer the feed: its HTTP status (503/504) and problem code."""
    area: Area
    status: int
    code: str


class FeedAnswer(BaseModel):
    """異動申込一括取得: the stage changes after the cursor, per area in order; the next cursor continues."""
    items: list[HubFeedItem]
    next_cursor: str = Field(description="次回の取得に指定するカーソル")
    unavailable_areas: list[FeedUnavailableArea] = Field(
        default_factory=list, description="応答しなかったエリア（そのエリアのカーソル位置は進みません）")
