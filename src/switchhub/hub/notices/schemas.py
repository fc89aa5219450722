"""Inputs and answers of the notices API (インフォメーション)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Audience = Literal["all", "retailer", "tso", "operator"]
ANSWER = ConfigDict(extra="forbid")


class NoticeInput(BaseModel):
    """A notice as the OCCTO admin writes it; times with their offset (JST: +09:00)."""
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200, description="件名")
    body: str = Field(min_length=1, max_length=20000, description="本文（Markdown。HTMLは表示されません）")
    audience: Audience = Field(description="対象: all 全事業者 / retailer 小売電気事業者 / tso 一般送配電事業者 / "
                                           "operator 特定の事業者")
    operator_code: str | None = Field(default=None, min_length=5, max_length=5,
                                      description="audience=operator のときの事業者コード")
    starts_at: AwareDatetime = Field(description="掲載開始")
    ends_at: AwareDatetime | None = Field(default=None, description="掲載終了（省略: 無期限）")


class Notice(BaseModel):
    model_config = ANSWER
    id: int
    title: str
    body: str = Field(description="Markdown")
    body_html: str = Field(description="本文のHTML（安全に変換済み: 生のHTMLはエスケープ、リンクは http(s) のみ）")
    audience: Audience
    operator_code: str | None
    starts_at: Timestamp
    ends_at: Timestamp | None
    status: Literal["active", "withdrawn"]
    published_at: Timestamp | None = Field(description="notice.published を通知した時刻")
    read: bool | None = Field(description="この利用者が既読か（管理一覧では null）")


class NoticePage(BaseModel):
    model_config = ANSWER
    total: int
    unread: int | None = Field(description="未読件数（管理一覧では null）")
    page: int
    per_page: int
    items: list[Notice]


class NoticeWithdrawInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=200, description="取り下げの理由（監査記録に残ります）")
