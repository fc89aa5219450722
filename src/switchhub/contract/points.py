"""Supply points in the contract: lookup, batch lookup, search and export requests and answers.

A point is answered as the caller may see it (kernel.visibility decides, in the area and again
at the hub), so its fields are open here; the hub's API publishes the field list per caller.
"""

from __future__ import annotations

import datetime as dt
import zlib
from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from switchhub.kernel.codes import (
    ApplicationType,
    Area,
    CapacityMethod,
    Channel,
    ContractForm,
    ContractStatus,
    DisconnectionMethod,
    MeterType,
    ServiceMenu,
    SupplyMethod,
)
from switchhub.kernel.spid import SPID_DOC
from switchhub.kernel.visibility import EXPORT_STANDARD_FIELDS, FIELD_CLASSES, Relationship

Spid = Annotated[str, Field(description="供給地点特定番号", json_schema_extra=SPID_DOC)]


class BatchGetRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    spids: list[Annotated[str, Field(max_length=40, json_schema_extra=SPID_DOC)]] = Field(
        min_length=1, max_length=1000, description="供給地点特定番号（最大1,000件）")


class Meter(BaseModel):
    """計器情報 (fields in the order the area stores them)."""
    model_config = ConfigDict(extra="forbid")
    smart: bool = Field(description="スマートメーター")
    meter_no: str = Field(description="計器番号（検索結果では下3桁以外を * で伏せる）")
    meter_type: MeterType = Field(description="計器種別")
    auto_reading: bool = Field(description="自動検針可")
    interval_collectable: bool = Field(description="30分値取得可")


class PendingApplication(BaseModel):
    """異動申込受付情報: an open application at the point."""
    model_config = ConfigDict(extra="forbid")
    type: ApplicationType = Field(description="申込種別")
    received_date: dt.date = Field(description="受付日")


class SupplyPoint(BaseModel):
    """設備情報 (domain.md): every field the hub may answer, in answer order. Which of them are present
    depends on the caller (kernel.visibility): public fields for every retailer, supplier fields only
    for the current supplier and the area's T&D. Absent fields are not sent (never null-filled);
    tso-only fields leave the area through the hub only under an approved break-glass grant naming
    them (seed 004 type B: `X-Switchhub-Breakglass`)."""
    model_config = ConfigDict(extra="forbid")
    spid: Spid | None = None
    area: Area | None = Field(default=None, description="エリアコード")
    channel: Channel | None = Field(default=None, description="low 低圧 / high 高圧 / low_fit 低圧FIT電源")
    postcode: str | None = Field(default=None, description="郵便番号")
    prefecture: str | None = Field(default=None, description="都道府県")
    city: str | None = Field(default=None, description="市区町村")
    town: str | None = Field(default=None, description="町域")
    block: str | None = Field(default=None, description="番地")
    building: str | None = Field(default=None, description="建物名")
    room: str | None = Field(default=None, description="部屋番号")
    island_flag: bool | None = Field(default=None, description="離島ユニバーサルサービス対象")
    contract_form: ContractForm | None = Field(default=None, description="契約形態")
    capacity_method: CapacityMethod | None = Field(default=None, description="契約決定方法")
    contract_current: int | None = Field(default=None, description="契約電流 (A)")
    contract_capacity: float | None = Field(default=None, description="契約容量 (kVA)")
    current_upper_limit: int | None = Field(default=None, description="電流上限値 (A)")
    current_limit_value: int | None = Field(default=None, description="電流制限値 (A)")
    ampere_breaker: bool | None = Field(default=None, description="アンペアブレーカ有無")
    breaker_remote: bool | None = Field(default=None, description="アンペアブレーカ遠隔切替可")
    minimum_charge: bool | None = Field(default=None, description="最低料金適用")
    power_factor: int | None = Field(default=None, description="力率 (%)")
    flat_rate_lamp: str | None = Field(default=None, description="定額電灯情報")
    meters: list[Meter] | None = Field(default=None, description="計器情報")
    pole_no: str | None = Field(default=None, description="引込柱番号")
    supply_method: SupplyMethod | None = Field(default=None, description="供給方式")
    disconnection_method: DisconnectionMethod | None = Field(default=None, description="廃止措置方法")
    reading_day_code: str | None = Field(default=None, pattern=r"^[0-9]{2}$", description="基本検針日（検針日コード）")
    next_reading_date: dt.date | None = Field(default=None, description="次回実検針日")
    next_but_one_reading_date: dt.date | None = Field(default=None, description="次々回実検針日")
    past_new_extension_dates: list[dt.date] | None = Field(default=None, description="過去新増設年月日")
    contract_status: ContractStatus | None = Field(default=None, description="契約状態")
    pending_applications: list[PendingApplication] | None = Field(default=None, description="異動申込受付情報")
    service_menu: ServiceMenu | None = Field(default=None, description="接続送電サービスメニュー（供給者のみ）")
    contract_power: float | None = Field(default=None, description="契約電力 (kW)（供給者のみ）")
    customer_name_kana: str | None = Field(default=None, description="需要者氏名（カナ）（供給者のみ）")
    customer_name_kanji: str | None = Field(default=None, description="需要者氏名（漢字）（供給者のみ）")
    customer_phone: str | None = Field(default=None, description="需要者電話番号（供給者のみ）")
    contact_phone: str | None = Field(default=None, description="連絡先電話番号（供給者のみ）")
    current_retailer_code: str | None = Field(default=None, description="現小売事業者コード（供給者のみ）")
    current_retailer_name: str | None = Field(default=None, description="現小売事業者名（供給者のみ）")
    load_equipment: str | None = Field(default=None, description="負荷設備（送配電限定: 緊急時アクセス許可のみ）")
    tso_notes: str | None = Field(default=None, description="送配電連絡事項（送配電限定: 緊急時アクセス許可のみ）")


class PointAnswer(BaseModel):
    """The area's answer to a lookup (and each item of a batch): the caller's relationship to the point
    and the point with the fields that relationship grants. The JSON of `PointItem`, typed for the
    published contract (the hub parses it as `PointItem` and checks every field again)."""
    model_config = ConfigDict(extra="forbid")
    relationship: Relationship = Field(description="照会者と供給地点の関係（表示項目を決める）")
    point: SupplyPoint


class BatchPointsAnswer(BaseModel):
    """The JSON of `BatchAnswer`: points found (in request order) and spids not found here."""
    model_config = ConfigDict(extra="forbid")
    items: list[PointAnswer]
    not_found: list[Spid]


class SearchPointsAnswer(BaseModel):
    """The JSON of `SearchAnswer`: public fields only, meter numbers masked unless searched by one."""
    model_config = ConfigDict(extra="forbid")
    total: int = Field(description="該当件数（最大100）")
    truncated: bool = Field(description="100件を超えた")
    items: list[SupplyPoint]


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


class ExportCompression(str, Enum):
    """Compression of the own-point export (`compression=`): `fast` (gzip level 1, the default),
    `small` (gzip level 6: ≈ 25 % smaller, ≈ 3× the compression CPU) or `zstd` (Zstandard level 1:
    about gzip 6's size for half gzip 1's CPU; needs a zstd reader). The body is the compressed file
    itself (`Content-Type` application/gzip or application/zstd), one gzip member or zstd frame per
    area, concatenated. Not negotiated by `Accept-Encoding`: HTTP clients offer zstd there whenever a
    zstd library is installed, and the saved file's format must not depend on that. docs/benchmarks.md
    § P4 has the measured time and size of each."""

    FAST = "fast"
    SMALL = "small"
    ZSTD = "zstd"

    @property
    def media_type(self) -> str:
        return "application/zstd" if self is ExportCompression.ZSTD else "application/gzip"

    @property
    def suffix(self) -> str:
        """The saved file's last extension."""
        return "zst" if self is ExportCompression.ZSTD else "gz"

    def compressor(self) -> Any:
        """A fresh streaming compressor (`compress(bytes) -> bytes`, `flush() -> bytes` ending the
        member or frame) at this choice's level."""
        if self is ExportCompression.ZSTD:
            import zstandard  # imported late: only the zstd choice needs it

            return zstandard.ZstdCompressor(level=1).compressobj()
        return zlib.compressobj(1 if self is ExportCompression.FAST else 6, zlib.DEFLATED, 31)


def export_media(description: str | None = None) -> dict[str, Any]:
    """The export's 200 `content` for the OpenAPI documents (hub API and area contract): one binary
    entry per media type a `compression=` choice answers."""
    media = dict.fromkeys(c.media_type for c in ExportCompression)
    return {m: {"schema": {"type": "string", "contentMediaType": m, "contentEncoding": "binary",
                           **({"description": description} if description else {})}} for m in media}


#: the documentation of the export's `fields=` and `compression=` (hub API and area contract alike)
EXPORT_FIELDS_DOC = (
    "列セット (column set): `standard`（既定）= 供給地点リストの照合に使う列 — "
    + ", ".join(f for f in FIELD_CLASSES if f in EXPORT_STANDARD_FIELDS)
    + "; `full` = 供給者が見られる全項目 (every public and supplier field). 列は応答の X-Export-Fields に出力順で示す")
EXPORT_COMPRESSION_DOC = ("圧縮: `fast`（既定、gzip レベル1）/ `small`（gzip レベル6: 約25%小さく、圧縮のCPUは約3倍）"
                          " / `zstd`（Zstandard レベル1: gzip 6 並みの大きさで圧縮のCPUは gzip 1 の約半分、"
                          "application/zstd） (gzip level 1, the default; gzip 6; or zstd level 1)")
