"""Inputs and answers of the API repository page (API リポジトリ): operating information."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

INPUT = ConfigDict(strict=True, extra="forbid")
ANSWER = ConfigDict(extra="forbid")
EntryKind = Literal["maintenance", "version", "change"]


class ApiInfoInput(BaseModel):
    """maintenance: title, body, starts_at, ends_at (JST when no offset is given); version: title (the
    interface or document), version, body; change: entry_date, version, body."""

    model_config = INPUT
    kind: EntryKind
    title: str = Field(default="", max_length=200)
    body: str = Field(default="", max_length=4000)
    version: str = Field(default="", max_length=40)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    entry_date: date | None = None


class ApiInfoChange(BaseModel):
    """The fields to change; the entry's kind stays."""

    model_config = INPUT
    title: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, max_length=4000)
    version: str | None = Field(default=None, max_length=40)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    entry_date: date | None = None


class ApiInfoEntry(BaseModel):
    model_config = ANSWER
    id: int
    kind: EntryKind
    title: str
    body: str
    version: str
    starts_at: datetime | None
    ends_at: datetime | None
    entry_date: date | None
    updated_at: datetime


class ApiInfo(BaseModel):
    """Everything on the page: maintenance windows (latest first), interface versions, the change log."""

    model_config = ANSWER
    maintenance: list[ApiInfoEntry]
    versions: list[ApiInfoEntry]
    changes: list[ApiInfoEntry]
    openapi_url: str = Field(description="現在の OpenAPI 文書（ダウンロード）")
