"""The API repository page (API リポジトリ): operating information for every logged-in user, the
current OpenAPI document as a download, and OCCTO admins' page to keep the information.

The document is the app's own `openapi()` (the same one `/api/v1/openapi.json` serves), so what is
downloaded is always what the hub answers. Reading and changing go through hub/apiinfo/service.py,
the same functions as the API's `/api/v1/api-info` routes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from switchhub.hub.accounts.service import WebUser
from switchhub.hub.apiinfo import service
from switchhub.hub.apiinfo.schemas import ApiInfoChange, ApiInfoInput
from switchhub.hub.deps import tx
from switchhub.hub.web.render import error_texts, lang_of, msg, render
from switchhub.hub.web.session import WebForm, parse_form, read_form, web_actor, web_admin, web_user
from switchhub.kernel.clock import JST
from switchhub.kernel.errors import InputError

router = APIRouter(include_in_schema=False)
FIELDS = ("title", "body", "version", "starts_at", "ends_at", "entry_date")
KIND_NAMES = {"maintenance": "api_maintenance", "version": "api_versions", "change": "api_changes"}  # message keys
DONE = {"created": "done_created", "changed": "done_changed", "deleted": "done_deleted"}


def jst(value: datetime | None) -> str:
    return value.astimezone(JST).strftime("%Y-%m-%d %H:%M") if value else ""


def local_input(value: datetime | None) -> str:
    """A datetime-local input's value (JST)."""
    return value.astimezone(JST).strftime("%Y-%m-%dT%H:%M") if value else ""


def _values(form: WebForm, model: type, kind: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {k: form.get(k) for k in FIELDS if form.get(k)}
    for k in ("starts_at", "ends_at"):
        if k in data and len(data[k]) == 16:  # datetime-local without seconds
            data[k] += ":00"
    if kind is not None:
        data["kind"] = kind
    return parse_form(model, data).model_dump()


@router.get("/api-repository")
async def repository_page(request: Request, user: WebUser = Depends(web_user(service.READ))) -> Response:
    async with tx(request) as conn:
        info = await service.read(conn, user.caller)
    return render(request, "api_repository.html", {"user": user, "info": info, "jst": jst})


@router.get("/api-repository/openapi.json")
async def openapi_download(request: Request, user: WebUser = Depends(web_user(service.READ))) -> Response:
    body = json.dumps(request.app.openapi(), ensure_ascii=False, indent=2).encode()
    return Response(body, media_type="application/json", headers={
        "Content-Disposition": 'attachment; filename="switchhub-openapi.json"'})


async def _admin_page(request: Request, user: WebUser, **ctx: Any) -> Response:
    async with tx(request) as conn:
        info = await service.read(conn, user.caller)
    lang, done = lang_of(request), DONE.get(request.query_params.get("done", ""))
    base = {"user": user, "info": info, "jst": jst, "local_input": local_input,
            "kinds": {k: msg(key, lang) for k, key in KIND_NAMES.items()},
            "errors": {}, "error": None, "v": {}, "failed_id": None,
            "done": msg(done, lang) if done else None}
    status = 422 if ctx.get("errors") or ctx.get("error") else 200
    return render(request, "admin_api_repository.html", {**base, **ctx}, status=status)


@router.get("/admin/api-repository")
async def admin_page(request: Request, user: WebUser = Depends(web_admin(service.MANAGE))) -> Response:
    return await _admin_page(request, user)


@router.post("/admin/api-repository/entries")
async def admin_create(request: Request, user: WebUser = Depends(web_admin(service.MANAGE))) -> Response:
    form = await read_form(request, user)
    kind = form.get("kind") if form.get("kind") in KIND_NAMES else "change"
    try:
        values = _values(form, ApiInfoInput, kind)
        async with tx(request) as conn:
            await service.create(conn, web_actor(request, user), values)
    except InputError as exc:
        errors, error = error_texts(exc, lang_of(request))
        return await _admin_page(request, user, errors=errors, error=error, v={**form.values, "kind": kind})
    return RedirectResponse("/admin/api-repository?done=created", status_code=303)


@router.post("/admin/api-repository/entries/{entry_id}")
async def admin_change(entry_id: int, request: Request, user: WebUser = Depends(web_admin(service.MANAGE))
                       ) -> Response:
    form = await read_form(request, user)
    try:
        values = _values(form, ApiInfoChange, None)
        async with tx(request) as conn:
            await service.update(conn, web_actor(request, user), entry_id, values)
    except InputError as exc:
        errors, error = error_texts(exc, lang_of(request))
        return await _admin_page(request, user, errors=errors, error=error, failed_id=entry_id)
    return RedirectResponse("/admin/api-repository?done=changed", status_code=303)


@router.post("/admin/api-repository/entries/{entry_id}/delete")
async def admin_delete(entry_id: int, request: Request, user: WebUser = Depends(web_admin(service.MANAGE))
                       ) -> Response:
    await read_form(request, user)
    async with tx(request) as conn:
        await service.delete(conn, web_actor(request, user), entry_id)
    return RedirectResponse("/admin/api-repository?done=deleted", status_code=303)
