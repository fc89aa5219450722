"""Worklist pages: "my applications" (the hub's index, 20 a page) and the nav badge of relays
awaiting my decision. Each calls the same service as its API twin (which checks the permission
and writes the audit record); the view only turns the query into filters and the answer into a page.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from switchhub.hub.accounts.service import WebUser
from switchhub.hub.applications import list_service as worklist
from switchhub.hub.deps import tx
from switchhub.hub.relays import worklist as relay_worklist
from switchhub.hub.web.render import error_texts, lang_of, render
from switchhub.hub.web.session import web_actor, web_user
from switchhub.kernel.codes import ApplicationStage, ApplicationType, Area
from switchhub.kernel.errors import InputError

router = APIRouter(include_in_schema=False)
FILTERS = ("type", "stage", "area", "spid", "received_from", "received_to", "date_from", "date_to")
DATES = ("received_from", "received_to", "date_from", "date_to")


def _dates(q: dict[str, str], lang: str) -> tuple[dict[str, date | None], dict[str, str]]:
    out: dict[str, date | None] = {}
    errors: dict[str, str] = {}
    for k in DATES:
        try:
            out[k] = date.fromisoformat(q[k]) if q[k] else None
        except ValueError:
            out[k] = None
            errors[k] = "Dates are YYYY-MM-DD" if lang == "en" else "日付は YYYY-MM-DD 形式で入力してください"
    return out, errors


@router.get("/applications")
async def application_list(request: Request, user: WebUser = Depends(web_user("hub:applications:read"))
                           ) -> Response:
    lang = lang_of(request)
    q = {k: str(request.query_params.get(k, "")).replace("\x00", "").strip()[:40] for k in FILTERS}
    try:
        page = max(1, min(10000, int(request.query_params.get("page", "1"))))
    except ValueError:
        page = 1
    dates, errors = _dates(q, lang)
    result = {"total": 0, "page": page, "per_page": worklist.PER_PAGE, "items": []}
    if not errors:
        query = worklist.ApplicationQuery(type=q["type"], stage=q["stage"], area=q["area"], spid=q["spid"], **dates)
        try:
            async with tx(request) as conn:
                result = await worklist.search(conn, web_actor(request, user), query, page, worklist.PER_PAGE)
        except InputError as exc:
            errors = error_texts(exc, lang)[0]
    pages = range(1, (result["total"] + worklist.PER_PAGE - 1) // worklist.PER_PAGE + 1)
    return render(request, "applications.html", {
        "user": user, "q": q, "result": result, "page": page, "pages": pages, "errors": errors,
        "types": list(ApplicationType), "stages": list(ApplicationStage), "areas": list(Area)})


@router.get("/badge/relays-awaiting")
async def relays_awaiting_badge(request: Request, user: WebUser = Depends(web_user("hub:relays:read"))
                                ) -> Response:
    """The nav badge (an htmx fragment): relays awaiting my decision; empty when there are none."""
    async with tx(request) as conn:
        count = await relay_worklist.awaiting_my_decision(conn, web_actor(request, user))
    if not count:
        return HTMLResponse('<span id="relay-badge"></span>')
    title = "Relays awaiting your decision" if lang_of(request) == "en" else "判断待ちの廃止取次"
    return HTMLResponse(f'<a id="relay-badge" class="badge" href="/relays?role=current&amp;status=01" title="{title}">'
                        f'{int(count)}</a>')
