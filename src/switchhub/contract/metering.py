"""Metering files in the hub ↔ area contract (metering.md, briefs/metering-api.md).

The area generates each file (a ZIP holding one XML, and a JSON rendering of the same content),
lists the acting retailer's files from a position cursor (`GET /area/v1/metering/files`) and
serves their bytes (`GET /area/v1/metering/files/{file_id}?format=zip|json`). Every publication
is also an event (`metering.file_published`, contract/events.py) that the hub indexes.

The W… codes are the XML message types of metering.md. The three CSV forms (標準化帳票) have no
public code; C01–C03 are switchhub's own codes for them.
"""

from __future__ import annotations

from enum import Enum
from importlib import resources
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

AREA = r"^(0[1-9]|10)$"
FILE_ID = r"^(0[1-9]|10)-[0-9]{1,19}$"


class FileType(str, Enum):
    HIGH_TODAY = "W40110"  # 特高・高圧 30分電力量（当日、1コマ）
    LOW_TODAY = "W41110"  # 低圧 30分電力量（当日、1コマ）
    HIGH_PAST_DAY = "W40120"  # 特高・高圧 日毎30分電力量（過去日、48コマ）
    LOW_PAST_DAY = "W41120"  # 低圧 日毎30分電力量（過去日、48コマ）
    HIGH_MONTHLY = "W51210"  # 特高・高圧 月間確定使用量
    LOW_MONTHLY = "W51220"  # 低圧 月間確定使用量
    CONTRACT_POWER = "C01"  # 契約電力算定結果内訳（switchhub の独自コード）
    CURTAILMENT = "C02"  # 制限中止割引（switchhub の独自コード）
    GENERATOR_ENERGY = "C03"  # 発電者の仕訳後の電力量（switchhub の独自コード）

    __str__ = str.__str__


TODAY_TYPES = frozenset({FileType.HIGH_TODAY, FileType.LOW_TODAY})
PAST_DAY_TYPES = frozenset({FileType.HIGH_PAST_DAY, FileType.LOW_PAST_DAY})
MONTHLY_TYPES = frozenset({FileType.HIGH_MONTHLY, FileType.LOW_MONTHLY})
XML_TYPES = TODAY_TYPES | PAST_DAY_TYPES | MONTHLY_TYPES
FORM_TYPES = frozenset({FileType.CONTRACT_POWER, FileType.CURTAILMENT, FileType.GENERATOR_ENERGY})
HIGH_TYPES = frozenset({FileType.HIGH_TODAY, FileType.HIGH_PAST_DAY, FileType.HIGH_MONTHLY})


XSD_PATH = "area/metering/xsd/switchhub-metering.xsd"  # package data of `switchhub`


def schema_xsd() -> bytes:
    """The published XSD of the metering XML (switchhub's own rendering of the structure, not the
    official schema), read as package data so the hub serves it without importing the area."""
    return resources.files("switchhub").joinpath(XSD_PATH).read_bytes()


class OperationMode(str, Enum):
    """JPMGH operation mode: 1 = test data (never to be processed as live), 0 = live."""
    LIVE = "0"
    TEST = "1"

    __str__ = str.__str__


class FileFormat(str, Enum):
    ZIP = "zip"
    JSON = "json"

    __str__ = str.__str__


class MeteringFile(BaseModel):
    """One generated file (one revision of one sequence of one type and period)."""
    model_config = ConfigDict(extra="forbid")
    file_id: Annotated[str, Field(pattern=FILE_ID, description="ファイルID（エリアをまたいで一意、不透明）",
                                  examples=["03-000123"])]
    area: Annotated[str, Field(pattern=AREA, description="エリアコード")]
    retailer_code: Annotated[str, Field(max_length=5, description="受信する小売電気事業者コード")]
    type: FileType = Field(description="ファイル種別 (W40110 … W51220, C01–C03)")
    target_date: Annotated[str | None, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="対象日 (YYYY-MM-DD)")] = None
    target_month: Annotated[str | None, Field(pattern=r"^\d{4}-\d{2}$", description="対象月 (YYYY-MM)")] = None
    slot_time: Annotated[str | None, Field(pattern=r"^\d{4}$", description="当日ファイルのコマ終了時刻 (HHMM)")] = None
    sequence: int = Field(ge=1, description="連番（1 から）")
    revision: int = Field(ge=1, description="版（訂正ごとに 1 増える）")
    name: Annotated[str, Field(max_length=80, description="ZIP ファイル名",
                               examples=["W41120_20261130_0000_001_r1.zip"])]
    points: int = Field(ge=0, description="地点数")
    size_bytes: int = Field(ge=0, description="ZIP のバイト数")
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="ZIP の SHA-256")]
    operation_mode: OperationMode = Field(description="運用モード (1 = テストデータ)")
    created_at: str = Field(description="作成日時 (ISO 8601, JST)")
    supersedes: Annotated[str | None, Field(pattern=FILE_ID, description="この版が置き換える前の版のファイルID")] = None
    position: int = Field(ge=1, description="一覧のカーソル位置")


class MeteringFilePage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[MeteringFile]
    next_after: int | None = Field(description="次のページの after（なければ null）")
