"""Break-glass pages (issue 9 G): list, request, detail with approve / reject / revoke.

Every page and action is an admin one (`web_admin`: re-authenticated within 10 minutes) and calls
the same service function as its API twin, which checks the permission, applies the transition
rule and writes the audit record; the view only turns the form into the API's model.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from switchhub.hub.accounts.service import WebUser
from switchhub.hub.breakglass import service
from switchhub.hub.breakglass.schemas import GrantRequest
from switchhub.hub.deps import tx
from switchhub.hub.web.render import error_texts, lang_of, render
from switchhub.hub.web.session import parse_form, read_form, web_actor, web_admin
from switchhub.kernel.clock import get_clock
from switchhub.kernel.codes import Area
from switchhub.kernel.errors import InputError, SwitchhubError

router = APIRouter(include_in_schema=False)
PER_PAGE = 20
STATUSES = ("requested", "approved", "rejected", "revoked", "expired")
GRANT_ID = re.compile(r"^BG[0-9]{8}$")


def _page(request: Request) -> int:
    try:
        return max(1, min(10000, int(request.query_params.get("page", "1"))))
    except ValueError:
        return 1


@router.get("/breakglass")
async def grant_list(request: Request, user: WebUser = Depends(web_admin("hub:breakglass:read"))) -> Response:
    status = request.query_params.get("status", "")
    status = status if status in STATUSES else ""
    page = _page(request)
    async with tx(request) as conn:
        result = await service.listing(conn, web_actor(request, user), status, page, PER_PAGE, get_clock().now())
    pages = range(1, (result["total"] + PER_PAGE - 1) // PER_PAGE + 1)
    return render(request, "breakglass_list.html", {"user": user, "result": result, "status": status,
                                                    "statuses": STATUSES, "page": page, "pages": pages})


def _new_page(request: Request, user: WebUser, v: dict, errors: dict, error: str | None = None, status: int = 200
              ) -> Response:
    return render(request, "breakglass_new.html", {"user": user, "v": v, "errors": errors, "error": error,
                                                   "areas": list(Area)}, status=status)


@router.get("/breakglass/new")
async def new_form(request: Request, user: WebUser = Depends(web_admin("hub:breakglass:request"))) -> Response:
    v = {"operator_code": "" if user.caller.is_occto else user.caller.operator_code, "field_classes": ["supplier"],
         "areas": []}
    return _new_page(request, user, v, {})


def _jst(value: str) -> str:
    """A `datetime-local` value is Japan time; one with its own offset is kept."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?", value):
        return value + "+09:00"
    return value


@router.post("/breakglass/new")
async def new_submit(request: Request, user: WebUser = Depends(web_admin("hub:breakglass:request"))) -> Response:
    form = await read_form(request, user)
    v = {k: form.get(k) for k in ("operator_code", "users", "disaster_title", "reason", "starts_at", "ends_at")}
    v["field_classes"], v["areas"] = form.getlist("field_classes"), form.getlist("areas")
    data = {**v, "users": [u for u in re.split(r"[\s,、]+", v["users"]) if u],
            "starts_at": _jst(v["starts_at"]), "ends_at": _jst(v["ends_at"])}
    try:
        req = parse_form(GrantRequest, data)
        async with tx(request) as conn:
            grant = await service.request(conn, web_actor(request, user), req, get_clock().now())
    except InputError as exc:
        errors, message = error_texts(exc, lang_of(request))
        return _new_page(request, user, v, errors, message, status=422)
    return RedirectResponse(f"/breakglass/{grant['grant_id']}", status_code=303)


@router.get("/breakglass/{grant_id}")
async def grant_detail(grant_id: str, request: Request, user: WebUser = Depends(web_admin("hub:breakglass:read"))
                       ) -> Response:
    if not GRANT_ID.fullmatch(grant_id):
        grant_id = "BG00000000"  # the service answers not found, as for any other unknown grant
    async with tx(request) as conn:
        grant = await service.detail(conn, web_actor(request, user), grant_id, get_clock().now())
    return render(request, "breakglass_detail.html", {"user": user, "g": grant, "error": None})


async def _act(request: Request, user: WebUser, grant_id: str, action) -> Response:
    form = await read_form(request, user)
    if not GRANT_ID.fullmatch(grant_id):
        grant_id = "BG00000000"
    note = form.get("note")[:1000]
    try:
        async with tx(request) as conn:
            await action(conn, web_actor(request, user), grant_id, note, get_clock().now())
    except SwitchhubError as exc:
        if exc.status == 404:
            raise
        async with tx(request) as conn:
            grant = await service.detail(conn, web_actor(request, user), grant_id, get_clock().now())
        message = exc.detail_en if lang_of(request) == "en" else exc.detail_ja
        return render(request, "breakglass_detail.html", {"user": user, "g": grant, "error": message},
                      status=exc.status)
    return RedirectResponse(f"/breakglass/{grant_id}", status_code=303)


@router.post("/breakglass/{grant_id}/approve")
async def approve(grant_id: str, request: Request, user: WebUser = Depends(web_admin("hub:breakglass:approve"))
                  ) -> Response:
    return await _act(request, user, grant_id, service.approve)


@router.post("/breakglass/{grant_id}/reject")
async def reject(grant_id: str, request: Request, user: WebUser = Depends(web_admin("hub:breakglass:approve"))
                 ) -> Response:
    return await _act(request, user, grant_id, service.reject)


@router.post("/breakglass/{grant_id}/revoke")
async def revoke(grant_id: str, request: Request, user: WebUser = Depends(web_admin("hub:breakglass:request"))
                 ) -> Response:
    return await _act(request, user, grant_id, service.revoke)
