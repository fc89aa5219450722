"""Hub API answers for applications beyond the contract's: the merged feed over every area and the
worklist (`GET /api/v1/applications:search`) rows from the hub's index."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from switchhub.contract.applications import FeedItem
from switchhub.kernel.codes import ApplicationStage, ApplicationType, Area
from switchhub.kernel.spid import SPID_DOC


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


class ApplicationRow(BaseModel):
    """One application as the hub's index knows it (no customer data: the status page has the rest)."""
    application_no: str = Field(description="申込番号")
    area: Area = Field(description="エリア")
    area_name: str
    spid: str = Field(description="供給地点特定番号", json_schema_extra=SPID_DOC)
    type: ApplicationType = Field(description="申込種別 (domain.md)")
    type_name: str
    stage: ApplicationStage = Field(description="受付工程")
    stage_name: str
    terminal: bool = Field(description="処理が終わった工程（完了・取消・却下）")
    applicant_code: str = Field(description="申込者（小売電気事業者コード）")
    relay_no: str | None = Field(default=None, description="廃止取次番号")
    requested_date: dt.date | None = Field(default=None, description="予定日（スイッチング予定日・廃止日・再点日・変更日）")
    received_at: dt.datetime = Field(description="受付日時 (JST)")
    updated_at: dt.datetime = Field(description="最終更新日時 (JST)")


class ApplicationList(BaseModel):
    total: int = Field(description="条件に合う申込の件数")
    page: int
    per_page: int
    items: list[ApplicationRow]
