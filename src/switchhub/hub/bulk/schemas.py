"""The bulk-file answer: one report per file, one result per data row (API models)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from switchhub.kernel.codes import Area

Mode = Literal["all_or_nothing", "valid_rows"]
Outcome = Literal["ok", "registered", "not_registered", "ng"]
OUTCOME_JA: dict[str, str] = {"ok": "OK", "registered": "登録済", "not_registered": "未登録（他の行に誤り）", "ng": "NG"}


class RowIssue(BaseModel):
    field: str = Field(description="API の項目名（file: ファイル全体）")
    label: str = Field(description="列の見出し（日本語）")
    code: str
    message: str = Field(description="メッセージ（日本語）")


class RowResult(BaseModel):
    row: int = Field(description="ファイルの行番号（見出し行が1行目）")
    outcome: Outcome = Field(description="ok 検証OK / registered 登録済 / not_registered 未登録 / ng 誤りあり")
    outcome_name: str
    number: str | None = Field(default=None, description="登録された取次番号・申込番号")
    kind: Literal["termination", "switch-end", "reconnection", "switch-start", "ampere-change",
                  "customer-change"] | None = Field(default=None, description="申込種別（申込ファイル）")
    errors: list[RowIssue] = Field(default_factory=list)


class AreaOutcome(BaseModel):
    area: Area
    area_name: str
    rows: int
    committed: bool
    message: str = ""


class BulkReport(BaseModel):
    """The validation report (dry_run) or the result of the commit, per row."""
    file_kind: Literal["relays", "applications"]
    dry_run: bool
    mode: Mode
    encoding: str = Field(description="読み取った文字コード (utf-8-sig / utf-8 / cp932)")
    rows: int
    ok_rows: int
    ng_rows: int
    committed: bool = Field(description="1件以上を登録した")
    committed_rows: int
    message: str
    results: list[RowResult]
    areas: list[AreaOutcome] = Field(default_factory=list, description="エリアごとの結果（申込ファイル）")
