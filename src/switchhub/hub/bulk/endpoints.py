"""Thin routes of the bulk files: `POST /relays:bulk` and `POST /applications:bulk`.

The file is the body (`text/csv`) or the `file` part of a `multipart/form-data` upload. The answer
is the JSON report (`BulkReport`); with `Accept: text/csv` the same report as CSV (UTF-8 with BOM,
or CP932 with `report_encoding=cp932`). `Idempotency-Key` identifies the file's bytes with
`dry_run` and `mode` (not the multipart framing, which changes on every retry).
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from switchhub.hub.bulk import applications as application_files
from switchhub.hub.bulk import service
from switchhub.hub.bulk.csvfile import MAX_BYTES
from switchhub.hub.bulk.report import to_csv
from switchhub.hub.bulk.schemas import BulkReport, Mode
from switchhub.hub.deps import actor_of, require, tx
from switchhub.hub.idempotency import IDEMPOTENCY_KEY, idempotent
from switchhub.kernel.caller import Caller
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import InputError, SwitchhubError

router = APIRouter(prefix="/api/v1", tags=["bulk"])
UPLOAD_OVERHEAD = 200_000  # multipart framing around the file
REQUEST_LIMIT = MAX_BYTES + UPLOAD_OVERHEAD
PATHS = ("/api/v1/relays:bulk", "/api/v1/applications:bulk")
CSV_TYPES = ("text/csv", "text/plain", "application/octet-stream")


class UnsupportedMediaType(SwitchhubError):
    status = 415
    code = "unsupported_media_type"
    title_ja = "この形式の本文は受け付けられません"
    title_en = "Unsupported media type"


def _problem(description: str) -> dict:
    return {"description": description, "content": {"application/problem+json": {
        "schema": {"$ref": "#/components/schemas/Problem"}}}}


OPENAPI_BODY = {"requestBody": {"required": True, "description": f"CSV（Shift_JIS/CP932 または UTF-8、BOM可、"
                                                                 f"{MAX_BYTES:,} バイト・10,000 行まで）", "content": {
    "text/csv": {"schema": {"type": "string"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}}}}}}}
RESPONSES = {200: {"description": "検証結果・登録結果（Accept: text/csv なら CSV）",
                   "content": {"text/csv": {"schema": {"type": "string"}}}},
             415: _problem("本文の形式が text/csv・multipart/form-data ではない (unsupported media type)")}


async def read_upload(request: Request) -> bytes:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=10)
        try:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise InputError.single("file", "required", "file にCSVファイルを指定してください",
                                        "Send the CSV file as the multipart part `file`")
            return await upload.read()
        finally:
            await form.close()
    if ctype in CSV_TYPES or not ctype:
        return await request.body()
    raise UnsupportedMediaType("本文は text/csv（CSVそのもの）または multipart/form-data（file）で送ってください",
                               "Send the file as text/csv or as the part `file` of multipart/form-data")


def _answer(request: Request, resp: Response, kind: str, report_encoding: str) -> Response:
    if resp.status_code != 200 or "text/csv" not in request.headers.get("accept", ""):
        return resp
    body = to_csv(json.loads(resp.body), report_encoding)
    charset = "shift_jis" if report_encoding == "cp932" else "utf-8"
    headers = {"Content-Disposition": f'attachment; filename="{kind}-report.csv"'}
    if resp.headers.get("idempotent-replayed"):
        headers["Idempotent-Replayed"] = "true"
    return Response(body, media_type=f"text/csv; charset={charset}", headers=headers)


DryRun = Annotated[bool, Query(description="true: 検証のみ（既定） / false: 登録する")]
ModeQuery = Annotated[Mode, Query(description="all_or_nothing: 全行OKのときだけ全件登録 / valid_rows: OKの行だけ登録")]
Encoding = Annotated[Literal["utf-8", "cp932"], Query(description="CSVで答えるときの文字コード")]


async def _bulk(request: Request, caller: Caller, kind: str, dry_run: bool, mode: str, report_encoding: str
                ) -> Response:
    raw = await read_upload(request)
    fingerprint = f"dry_run={dry_run}&mode={mode}&".encode() + hashlib.sha256(raw).digest()

    async def produce() -> dict:
        async with tx(request) as conn:
            actor = actor_of(request, caller)
            if kind == "relays":
                return await service.relays_bulk(conn, request.app.state.areas, actor, raw, dry_run=dry_run,
                                                 mode=mode, now=get_clock().now())
            return await application_files.applications_bulk(conn, request.app.state.areas, actor, raw,
                                                             dry_run=dry_run, mode=mode, now=get_clock().now())

    return _answer(request, await idempotent(request, caller, produce, fingerprint=fingerprint), kind, report_encoding)


@router.post("/relays:bulk", summary="廃止取次の一括登録（CSV、検証のみ → 登録）", response_model=BulkReport,
             responses=RESPONSES, dependencies=[IDEMPOTENCY_KEY],
             openapi_extra={"x-interface-ids": ["SH_RELAY_BULK"], **OPENAPI_BODY})
async def relays_bulk(request: Request, dry_run: DryRun = True, mode: ModeQuery = "all_or_nothing",
                      report_encoding: Encoding = "utf-8",
                      caller: Caller = Depends(require("hub:relays:write"))) -> Response:
    return await _bulk(request, caller, "relays", dry_run, mode, report_encoding)


@router.post("/applications:bulk", summary="申込の一括登録（CSV、全申込種別、検証のみ → エリアごとに登録）",
             response_model=BulkReport, responses=RESPONSES, dependencies=[IDEMPOTENCY_KEY],
             openapi_extra={"x-interface-ids": ["SH_APPLICATION_BULK"], **OPENAPI_BODY})
async def applications_bulk(request: Request, dry_run: DryRun = True, mode: ModeQuery = "all_or_nothing",
                            report_encoding: Encoding = "utf-8",
                            caller: Caller = Depends(require("hub:applications:write"))) -> Response:
    return await _bulk(request, caller, "applications", dry_run, mode, report_encoding)
