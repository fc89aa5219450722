"""Models of the applications worklist (`GET /api/v1/applications:search`): its answer rows."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class ApplicationRow(BaseModel):
    """One application as the hub's index knows it (no customer data: the status page has the rest)."""
    application_no: str = Field(description="申込番号")
    area: str = Field(description="エリア")
    area_name: str
    spid: str = Field(description="供給地点特定番号")
    type: str = Field(description="申込種別 (domain.md)")
    type_name: str
    stage: str = Field(description="受付工程")
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
