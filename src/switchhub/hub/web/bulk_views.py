"""Web pages of the bulk files: upload → validation report → 登録する (mode chosen) → result.

The pages call the same service functions as `POST /relays:bulk` and `POST /applications:bulk`.
The uploaded bytes travel back with the confirmation form (base64 in a hidden field of the
multipart form, so nothing is kept on the server between the two steps) and are validated again
when committing: what is stored is what that second check accepted, shown on the result page.
Reports and results download as CSV (UTF-8 with BOM, or Shift_JIS) from `data:` links.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from switchhub.hub.accounts.service import WebUser
from switchhub.hub.bulk import applications as application_files
from switchhub.hub.bulk import service
from switchhub.hub.bulk.columns import APPLICATIONS, RELAYS
from switchhub.hub.bulk.csvfile import MAX_BYTES, MAX_ROWS
from switchhub.hub.bulk.report import to_csv
from switchhub.hub.deps import tx
from switchhub.hub.web.render import lang_of, render
from switchhub.hub.web.session import read_form, web_actor, web_user
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import SwitchhubError

router = APIRouter(include_in_schema=False)
KINDS: dict[str, dict[str, Any]] = {
    "relays": {"title": "廃止取次の一括登録", "layout": RELAYS, "permission": "hub:relays:write", "number": "取次番号"},
    "applications": {"title": "申込の一括登録", "layout": APPLICATIONS, "permission": "hub:applications:write",
                     "number": "申込番号"},
}
PART_LIMIT = MAX_BYTES * 4 // 3 + 8  # the file as base64 in the confirmation form
LIMITS = {**{f"/{k}/bulk": MAX_BYTES + 200_000 for k in KINDS},
          **{f"/{k}/bulk/commit": PART_LIMIT + 200_000 for k in KINDS}}
SHOWN_ISSUES = 1000  # lines of the table on the page; the CSV has all


async def _file_of(request: Request, user: WebUser, field: str) -> tuple[bytes | None, dict[str, str]]:
    """The uploaded file (`file`) or the file sent back by the confirmation form (`content`, base64),
    after the CSRF check, and the form's other values."""
    form = await request.form(max_files=1, max_fields=10, max_part_size=PART_LIMIT)
    try:
        values = (await read_form(request, user)).values  # CSRF first
        item = form.get(field)
        if field == "file":
            return (await item.read() if item is not None and not isinstance(item, str) else None), values
        try:
            return (base64.b64decode(str(item or ""), validate=True) or None), values
        except (binascii.Error, ValueError):
            return None, values
    finally:
        await form.close()


def _links(report: dict[str, Any], name: str) -> dict[str, str]:
    return {enc: "data:text/csv;base64," + base64.b64encode(to_csv(report, enc)).decode()
            for enc in ("utf-8", "cp932")} | {"name": name}


async def _run(request: Request, user: WebUser, kind: str, raw: bytes, dry_run: bool, mode: str) -> dict[str, Any]:
    async with tx(request) as conn:
        actor, now, areas = web_actor(request, user), get_clock().now(), request.app.state.areas
        if kind == "relays":
            return await service.relays_bulk(conn, areas, actor, raw, dry_run=dry_run, mode=mode, now=now)
        return await application_files.applications_bulk(conn, areas, actor, raw, dry_run=dry_run, mode=mode,
                                                         now=now)


def _page(request: Request, user: WebUser, kind: str, **ctx: Any) -> Response:
    spec, status = KINDS[kind], 422 if ctx.get("error") else 200
    base = {"user": user, "kind": kind, "spec": spec, "columns": spec["layout"].columns, "max_bytes": MAX_BYTES,
            "max_rows": MAX_ROWS, "error": None, "report": None, "raw": "", "shown": SHOWN_ISSUES}
    return render(request, "bulk.html", {**base, **ctx}, status=status)


async def _upload(request: Request, user: WebUser, kind: str) -> Response:
    raw, _ = await _file_of(request, user, "file")
    if not raw:
        return _page(request, user, kind, error="CSVファイルを選択してください")
    try:
        report = await _run(request, user, kind, raw, True, "all_or_nothing")
    except SwitchhubError as exc:
        if exc.status == 403:
            raise
        return _page(request, user, kind, error=exc.detail_en if lang_of(request) == "en" else exc.detail_ja)
    return _page(request, user, kind, report=report, raw=base64.b64encode(raw).decode(),
                 links=_links(report, f"{kind}-validation.csv"))


async def _commit(request: Request, user: WebUser, kind: str) -> Response:
    raw, values = await _file_of(request, user, "content")
    mode = values.get("mode", "")
    if not raw:
        return _page(request, user, kind, error="ファイルをもう一度アップロードしてください")
    if mode not in ("all_or_nothing", "valid_rows"):
        return _page(request, user, kind, error="登録方法を選択してください")
    try:
        report = await _run(request, user, kind, raw, False, mode)
    except SwitchhubError as exc:
        if exc.status == 403:
            raise
        return _page(request, user, kind, error=exc.detail_en if lang_of(request) == "en" else exc.detail_ja)
    return _page(request, user, kind, report=report, links=_links(report, f"{kind}-result.csv"))


@router.get("/relays/bulk")
async def relays_form(request: Request, user: WebUser = Depends(web_user("hub:relays:write"))) -> Response:
    return _page(request, user, "relays")


@router.post("/relays/bulk")
async def relays_upload(request: Request, user: WebUser = Depends(web_user("hub:relays:write"))) -> Response:
    return await _upload(request, user, "relays")


@router.post("/relays/bulk/commit")
async def relays_commit(request: Request, user: WebUser = Depends(web_user("hub:relays:write"))) -> Response:
    return await _commit(request, user, "relays")


@router.get("/applications/bulk")
async def applications_form(request: Request, user: WebUser = Depends(web_user("hub:applications:write"))
                            ) -> Response:
    return _page(request, user, "applications")


@router.post("/applications/bulk")
async def applications_upload(request: Request, user: WebUser = Depends(web_user("hub:applications:write"))
                              ) -> Response:
    return await _upload(request, user, "applications")


@router.post("/applications/bulk/commit")
async def applications_commit(request: Request, user: WebUser = Depends(web_user("hub:applications:write"))
                              ) -> Response:
    return await _commit(request, user, "applications")
