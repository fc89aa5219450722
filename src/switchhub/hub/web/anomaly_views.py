"""The anomaly report page (OCCTO admins and helpdesk, re-authenticated): findings 20 a page, filter by
status, acknowledge one with a note. Same service functions as the API."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from switchhub.hub.accounts.service import WebUser
from switchhub.hub.anomaly import service
from switchhub.hub.deps import tx
from switchhub.hub.web.render import error_texts, lang_of, render
from switchhub.hub.web.session import read_form, web_actor, web_admin
from switchhub.kernel.clock import JST
from switchhub.kernel.errors import InputError

router = APIRouter(include_in_schema=False)


def _status(request: Request) -> str:
    value = str(request.query_params.get("status", "open"))
    return value if value in (*service.STATUSES, "all") else "open"


async def _page(request: Request, user: WebUser, errors: dict[str, str] | None = None, failed_id: int | None = None,
                note: str = "", status_code: int = 200) -> Response:
    status = _status(request)
    try:
        page = max(1, min(10000, int(request.query_params.get("page", "1"))))
    except ValueError:
        page = 1
    async with tx(request) as conn:
        result = await service.report(conn, web_actor(request, user), None if status == "all" else status, page)
    pages = range(1, (result["total"] + service.PER_PAGE - 1) // service.PER_PAGE + 1)
    lang = lang_of(request)
    for f in result["items"]:  # the window's JST days (its end is the next midnight, exclusive)
        f["first_day"] = datetime.fromisoformat(f["window_start"]).astimezone(JST).date()
        f["last_day"] = (datetime.fromisoformat(f["window_end"]).astimezone(JST) - timedelta(days=1)).date()
    return render(request, "anomalies.html", {
        "user": user, "result": result, "status": status, "page": page, "pages": pages, "errors": errors or {},
        "failed_id": failed_id, "note": note, "kinds": {k: v[1 if lang == "en" else 0]
                                                        for k, v in service.KINDS.items()},
        "figure_labels": {k: v[1 if lang == "en" else 0] for k, v in service.FIGURES.items()}}, status=status_code)


@router.get("/anomalies")
async def anomaly_report(request: Request, user: WebUser = Depends(web_admin(service.READ))) -> Response:
    return await _page(request, user)


@router.post("/anomalies/{finding_id}/acknowledge")
async def anomaly_acknowledge(request: Request, finding_id: int,
                              user: WebUser = Depends(web_admin(service.ACK))) -> Response:
    form = await read_form(request, user)
    try:
        async with tx(request) as conn:
            await service.acknowledge(conn, web_actor(request, user), finding_id, form.get("note"))
    except InputError as exc:
        return await _page(request, user, error_texts(exc, lang_of(request))[0], finding_id, form.get("note"), 422)
    return RedirectResponse(f"/anomalies?status=all&acknowledged={finding_id}", status_code=303)
