"""Meter readings in the contract: the T&D's meter data source ingests 30-minute energy.

`POST /area/v1/readings:ingest` takes rows (spid, date, slot 1–48, kWh decimal(10,4), status) for
one area. A file with any bad row is refused as a whole (422 with one report line per bad row);
otherwise the rows are merged per point and day and a corrected slot raises that day's revision.
`POST /area/v1/readings:ingest-monthly` takes monthly confirmed totals (points without 30-minute
data) with the same rules: any bad row refuses all; a changed value raises the month's revision.
`POST /area/v1/curtailment-events:ingest` takes the T&D's curtailment and interruption events
(制限・中止: spid, kind, JST period in half hours, reason, discount rate %), the source of the
form C02 制限中止割引; any bad row refuses all; the same point and start replaces the event.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from switchhub.kernel.spid import SPID_DOC

MAX_ROWS = 100_000


class ReadingRow(BaseModel):
    """30分電力量の1コマ。kWh は文字列（浮動小数点にしない）。範囲はサービスが行ごとに検査する（行番号付きの報告のため）。"""
    model_config = ConfigDict(extra="forbid")
    spid: Annotated[str, Field(max_length=40, description="供給地点特定番号", json_schema_extra=SPID_DOC)]
    date: Annotated[str, Field(max_length=20, description="計量日 (YYYY-MM-DD または YYYYMMDD)")]
    slot: Annotated[int, Field(description="コマ番号 1〜48 (1 = 0:00〜0:30)")]
    kwh: Annotated[str, Field(max_length=30, description="電力量 kWh、0以上・小数4桁まで (decimal(10,4))",
                              examples=["1.2345"])]
    status: Annotated[str, Field(max_length=10, description="状態 0〜9 (0 = 有効)")] = "0"


class IngestRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    area: Annotated[str, Field(pattern=r"^(0[1-9]|10)$", description="エリアコード")]
    rows: list[ReadingRow] = Field(min_length=1, max_length=MAX_ROWS, description="30分電力量（最大100,000行）")


class RowProblem(BaseModel):
    """取込結果の行ごとの誤り (row: CSVでは行番号（見出し行を含む）、APIでは rows の1始まりの番号)。"""
    row: int
    field: str
    message: str


class IngestAnswer(BaseModel):
    area: str
    rows: int = Field(description="取り込んだ行数")
    days: int = Field(description="更新した地点・日の数")
    revised_days: int = Field(description="訂正により版が上がった地点・日の数")


MAX_MONTHLY_ROWS = 100_000


class MonthlyRow(BaseModel):
    """1地点・1検針月の確定値（スマートメーター以外の地点など）。数値は文字列（浮動小数点にしない）。空文字 = なし。"""
    model_config = ConfigDict(extra="forbid")
    spid: Annotated[str, Field(max_length=40, description="供給地点特定番号", json_schema_extra=SPID_DOC)]
    billing_month: Annotated[str, Field(max_length=20, description="検針月 (YYYY-MM または YYYYMM)")]
    kwh: Annotated[str, Field(max_length=30, description="使用電力量 kWh、0以上・小数4桁まで (decimal(14,4))",
                              examples=["312.5"])]
    max_demand_kw: Annotated[str, Field(max_length=30, description="最大需要電力 kW（小数4桁まで、空 = なし）")] = ""
    power_factor: Annotated[str, Field(max_length=10, description="力率 % (0〜100、空 = なし)")] = ""
    next_reading_date: Annotated[str, Field(max_length=20, description="次回検針予定日 (YYYY-MM-DD、空 = なし)")] = ""


class IngestMonthlyRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    area: Annotated[str, Field(pattern=r"^(0[1-9]|10)$", description="エリアコード")]
    rows: list[MonthlyRow] = Field(min_length=1, max_length=MAX_MONTHLY_ROWS, description="月間確定値（最大100,000行）")


class IngestMonthlyAnswer(BaseModel):
    area: str
    rows: int = Field(description="取り込んだ行数")
    written: int = Field(description="新規または値の変わった地点・検針月の数")
    revised: int = Field(description="値が変わり版が上がった地点・検針月の数")


MAX_CURTAILMENT_ROWS = 10_000


class CurtailmentRow(BaseModel):
    """制限・中止の1件（T&D の給電指令記録）。日時は JST、30分単位。割引率は文字列（浮動小数点にしない）。"""
    model_config = ConfigDict(extra="forbid")
    spid: Annotated[str, Field(max_length=40, description="供給地点特定番号", json_schema_extra=SPID_DOC)]
    kind: Annotated[str, Field(max_length=10, description="区分: 制限 または 中止")]
    starts_at: Annotated[str, Field(max_length=30, description="開始日時 JST (YYYY-MM-DD HH:MM、30分単位)")]
    ends_at: Annotated[str, Field(max_length=30, description="終了日時 JST (YYYY-MM-DD HH:MM、30分単位、開始より後)")]
    reason: Annotated[str, Field(max_length=200, description="事由（100文字まで）")]
    discount_rate: Annotated[str, Field(max_length=20, description="割引率 % (0超100以下、小数2桁まで)",
                                        examples=["10.5"])]


class IngestCurtailmentRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    area: Annotated[str, Field(pattern=r"^(0[1-9]|10)$", description="エリアコード")]
    rows: list[CurtailmentRow] = Field(min_length=1, max_length=MAX_CURTAILMENT_ROWS,
                                       description="制限・中止（最大10,000行）")


class IngestCurtailmentAnswer(BaseModel):
    area: str
    rows: int = Field(description="取り込んだ行数")
    written: int = Field(description="新規または内容の変わった制限・中止の数")
