"""The access log as a Web page (issue 9): an operator's admins read their own operator's records,
OCCTO's helpdesk and admins every operator's; filters (operator, user, action, JST dates), 20 a
page, and the same selection as a CSV download (UTF-8 with BOM, streamed; the download is audited).
The scope is decided by `hub.audit.service`, the one function behind the API route too."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from switchhub.hub.accounts.service import WebUser
from switchhub.hub.audit import service
from switchhub.hub.deps import tx
from switchhub.hub.web.render import error_texts, lang_of, msg, render
from switchhub.hub.web.session import web_actor, web_admin
from switchhub.kernel.clock import get_clock
from switchhub.kernel.errors import InputError

router = APIRouter(include_in_schema=False)
PER_PAGE = 20
FILTERS = ("operator_code", "user_login", "action", "date_from", "date_to")


def filters_of(request: Request, lang: str) -> tuple[dict[str, str], service.AuditFilters, dict[str, str]]:
    q = {k: str(request.query_params.get(k, "")).replace("\x00", "").strip()[:80] for k in FILTERS}
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for k in ("date_from", "date_to"):
        try:
            dates[k] = date.fromisoformat(q[k]) if q[k] else None
        except ValueError:
            dates[k] = None
            errors[k] = msg("date_format", lang)
    return q, service.AuditFilters(q["operator_code"], q["user_login"], q["action"], **dates), errors


def _page(request: Request) -> int:
    try:
        return max(1, min(10000, int(request.query_params.get("page", "1"))))
    except ValueError:
        return 1


@router.get("/access-log")
async def access_log(request: Request, user: WebUser = Depends(web_admin("hub:audit:read"))) -> Response:
    lang = lang_of(request)
    q, f, errors = filters_of(request, lang)
    page = _page(request)
    result = {"total": 0, "page": page, "per_page": PER_PAGE, "items": []}
    if not errors:
        try:
            async with tx(request) as conn:
                result = await service.search(conn, web_actor(request, user), f, page, PER_PAGE, with_total=True)
        except InputError as exc:
            errors = error_texts(exc, lang)[0]
    pages = range(1, min(500, (result["total"] + PER_PAGE - 1) // PER_PAGE) + 1)
    query = urlencode({k: v for k, v in q.items() if v})
    return render(request, "access_log.html", {"user": user, "q": q, "result": result, "page": page,
                                               "pages": pages, "errors": errors, "query": query},
                  status=422 if errors else 200)


def _csv_line(values: list) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(values)
    return buf.getvalue()


def _cell(row: dict, key: str) -> str:
    value = row.get(key)
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    return "" if value is None else str(value)


@router.get("/access-log.csv")
async def access_log_csv(request: Request, user: WebUser = Depends(web_admin("hub:audit:read"))) -> Response:
    lang = lang_of(request)
    q, f, errors = filters_of(request, lang)
    actor = web_actor(request, user)
    if errors:
        raise InputError(next(iter(errors.values())), next(iter(errors.values())))
    async with tx(request) as conn:
        await service.record_export(conn, actor, f)
    engine = request.app.state.engine

    async def body():
        yield "\ufeff" + _csv_line(list(service.CSV_COLUMNS))
        async with engine.connect() as conn:
            async for row in service.export_rows(conn, actor, f):
                yield _csv_line([_cell(row, k) for k in service.CSV_COLUMNS])

    name = f"access-log-{get_clock().now().strftime('%Y%m%d%H%M%S')}.csv"
    return StreamingResponse(body(), media_type="text/csv; charset=utf-8",
                             headers={"content-disposition": f'attachment; filename="{name}"'})
