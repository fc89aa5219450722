"""Hub API answers for metering files: the list from the hub's index, the download's media types."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from switchhub.contract.metering import FILE_ID, FileType, OperationMode
from switchhub.kernel.codes import Area

FileId = Annotated[str, Field(pattern=FILE_ID, description="ファイルID", examples=["03-000123"])]


class MeteringFileRow(BaseModel):
    """One file (one revision) as the hub's index knows it; the bytes are fetched by its file_id."""
    model_config = ConfigDict(extra="forbid")
    file_id: FileId
    area: Area = Field(description="エリア")
    retailer_code: str = Field(description="受信する小売電気事業者コード")
    type: FileType = Field(description="ファイル種別 (metering.md; C01–C03 は switchhub 独自コード)")
    type_name: str = Field(description="ファイル種別名")
    target_date: str | None = Field(description="対象日 (YYYY-MM-DD)")
    target_month: str | None = Field(description="対象月 (YYYY-MM、確定使用量・帳票)")
    slot_time: str | None = Field(description="当日ファイルのコマ終了時刻 (HHMM)")
    sequence: int = Field(description="連番")
    revision: int = Field(description="版（訂正ごとに 1 増える）")
    latest: bool = Field(description="最新の版か")
    supersedes: FileId | None = Field(description="この版が置き換えた前の版のファイルID")
    superseded_by: FileId | None = Field(description="この版を置き換えた次の版のファイルID")
    name: str = Field(description="ZIP ファイル名")
    json_name: str = Field(description="JSON 版のファイル名")
    points: int | None = Field(description="地点数（エリアが通知した場合）")
    size_bytes: int | None = Field(description="ZIP のバイト数（エリアが通知した場合）")
    sha256: str | None = Field(description="ZIP の SHA-256（エリアが通知した場合）")
    operation_mode: OperationMode | None = Field(description="運用モード (1 = テストデータ、本番として処理しない)")
    published_at: str = Field(description="公開日時（ハブが受け取った日時、JST）")


class MeteringFileList(BaseModel):
    """計量データ一覧: the caller's files after the cursor, oldest first; the next cursor continues
    (a later call with it returns exactly the files published since)."""
    model_config = ConfigDict(extra="forbid")
    items: list[MeteringFileRow]
    next_cursor: str = Field(description="次回の取得に指定するカーソル")
    has_more: bool = Field(description="続きがあるか（next_cursor ですぐに取得できる）")


DOWNLOAD_MEDIA = {
    "application/zip": {"schema": {"type": "string", "contentMediaType": "application/zip",
                                   "contentEncoding": "binary", "description": "ZIP: one XML (SBD-MSG)"}},
    "application/json": {"schema": {"type": "object", "description": "the same content as JSON"}},
}
XSD_MEDIA = {"application/xml": {"schema": {"type": "string", "description": "XML Schema (switchhub's own rendering)"}}}
