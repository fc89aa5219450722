"""The metering data page (計量データ一覧): the caller's files with filters (type, target day range,
latest revision or all), newest first, and the ZIP / JSON downloads. Both call the same service
functions as the API (permission, visibility and the download's audit row live there)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from switchhub.contract.metering import FileFormat, FileType
from switchhub.hub.accounts.service import WebUser
from switchhub.hub.deps import tx
from switchhub.hub.files import service
from switchhub.hub.files.download import streamed
from switchhub.hub.web.render import error_texts, lang_of, render
from switchhub.hub.web.session import web_actor, web_user
from switchhub.kernel.errors import InputError, NotFound

router = APIRouter(include_in_schema=False)
FILTERS = ("type", "date_from", "date_to", "revision")
PER_PAGE = 50


def _query(request: Request) -> dict[str, str]:
    q = {k: str(request.query_params.get(k, "")).replace("\x00", "").strip()[:40] for k in (*FILTERS, "cursor")}
    q["revision"] = q["revision"] or "latest"
    return q


def _dates(q: dict[str, str], lang: str) -> tuple[dict[str, date | None], dict[str, str]]:
    out: dict[str, date | None] = {}
    errors: dict[str, str] = {}
    for k in ("date_from", "date_to"):
        try:
            out[k] = date.fromisoformat(q[k]) if q[k] else None
        except ValueError:
            out[k] = None
            errors[k] = "Dates are YYYY-MM-DD" if lang == "en" else "日付は YYYY-MM-DD 形式で入力してください"
    return out, errors


@router.get("/metering")
async def metering_files(request: Request, user: WebUser = Depends(web_user(service.READ))) -> Response:
    lang = lang_of(request)
    q = _query(request)
    dates, errors = _dates(q, lang)
    result: dict = {"items": [], "next_cursor": "", "has_more": False}
    if not errors:
        query = service.FileQuery(type=q["type"], revision=q["revision"], **dates)
        try:
            async with tx(request) as conn:
                result = await service.list_files(conn, web_actor(request, user), query, q["cursor"], PER_PAGE,
                                                  newest_first=True)
        except InputError as exc:
            errors = error_texts(exc, lang)[0]
    return render(request, "metering.html", {
        "user": user, "q": q, "result": result, "errors": errors, "types": list(FileType),
        "type_name": lambda code: service.type_name(code, lang)})


@router.get("/metering/files/{file_id}")
async def download(file_id: str, request: Request, user: WebUser = Depends(web_user(service.READ))) -> Response:
    """The same download as the API's (visibility, audit row with purpose, stream from the area)."""
    try:
        fmt = FileFormat(request.query_params.get("format", "zip"))
    except ValueError:
        raise NotFound() from None
    return await streamed(request.app.state.engine, request.app.state.areas,
                          web_actor(request, user, purpose="metering"), file_id[:40], fmt)
