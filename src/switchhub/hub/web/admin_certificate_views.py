"""OCCTO admin Web pages: client certificates (list with expiry, register by upload with a confirm
step, suspend and restore).

The upload is parsed by the hub (fingerprint, subject, issuer, validity shown before confirming);
the certificate travels back with the confirmation form (base64 in a hidden field, nothing kept on
the server between the steps) and is parsed again when registering, by the same service function as
`POST /api/v1/admin/certificates`.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from switchhub.hub.accounts.service import WebUser
from switchhub.hub.certificates import service
from switchhub.hub.deps import tx
from switchhub.hub.web.render import error_texts, lang_of, msg, render
from switchhub.hub.web.session import read_form, web_actor, web_admin
from switchhub.kernel.clock import JST, get_clock
from switchhub.kernel.codes import Area
from switchhub.kernel.errors import InputError, SwitchhubError

router = APIRouter(include_in_schema=False)
MANAGE = service.MANAGE
PART_LIMIT = service.MAX_PEM_BYTES * 4 // 3 + 8
PURPOSE_NAMES = {"web": "cert_purpose_web", "api": "cert_purpose_api", "area": "cert_purpose_area"}  # message keys
DONE = {"registered": "cert_done_registered", "suspended": "cert_done_suspended", "active": "cert_done_active"}


def _purposes(request: Request) -> dict[str, str]:
    return {k: msg(key, lang_of(request)) for k, key in PURPOSE_NAMES.items()}


def jst(value: datetime | None) -> str:
    return value.astimezone(JST).strftime("%Y-%m-%d %H:%M") if value else "—"


def _page_no(request: Request) -> int:
    try:
        return max(1, min(10_000, int(request.query_params.get("page", "1"))))
    except ValueError:
        return 1


async def _upload_of(request: Request, user: WebUser) -> tuple[bytes, dict[str, str], list[str]]:
    """The PEM (uploaded file, pasted text, or the confirm form's base64) after the CSRF check, the
    form's other values and its chosen areas."""
    form = await request.form(max_files=1, max_fields=30, max_part_size=PART_LIMIT)
    try:
        parsed = await read_form(request, user)  # CSRF first
        item, raw = form.get("file"), b""
        if item is not None and not isinstance(item, str):
            raw = (await item.read(service.MAX_PEM_BYTES + 1))
        if not raw and isinstance(form.get("pem_text"), str):
            raw = str(form.get("pem_text")).encode()[: service.MAX_PEM_BYTES + 1]
        if not raw and isinstance(form.get("content"), str):
            try:
                raw = base64.b64decode(str(form.get("content")), validate=True)
            except (binascii.Error, ValueError):
                raw = b""
        return raw, parsed.values, [a for a in parsed.getlist("areas") if a]
    finally:
        await form.close()


def _page(request: Request, user: WebUser, **ctx: Any) -> Response:
    base = {"user": user, "areas": list(Area), "purposes": _purposes(request), "errors": {}, "error": None, "v": {},
            "chosen": [], "facts": None, "content": "", "jst": jst}
    status = 422 if ctx.get("errors") or ctx.get("error") else 200
    return render(request, "admin_certificate_new.html", {**base, **ctx}, status=status)


@router.get("/admin/certificates")
async def certificate_list(request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    q = {k: request.query_params.get(k, "")[:10] for k in ("operator_code", "status", "purpose")}
    async with tx(request) as conn:
        result = await service.list_certificates(
            conn, web_actor(request, user), operator_code=q["operator_code"].upper() or None,
            status=q["status"] if q["status"] in ("active", "suspended") else None,
            purpose=q["purpose"] if q["purpose"] in PURPOSE_NAMES else None, page=_page_no(request))
    now = get_clock().now()
    done = DONE.get(request.query_params.get("done", ""))
    pages = range(1, (result["total"] + service.PER_PAGE - 1) // service.PER_PAGE + 1)
    return render(request, "admin_certificates.html", {
        "user": user, "result": result, "pages": pages, "page": result["page"], "q": q, "jst": jst,
        "purposes": _purposes(request), "done": msg(done, lang_of(request)) if done else None,
        "days_left": lambda c: (c["not_after"] - now).days if c["not_after"] else None})


@router.get("/admin/certificates/new")
async def certificate_new(request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    return _page(request, user, v={"operator_code": request.query_params.get("operator_code", "")[:5],
                                   "purpose": "web"})


@router.post("/admin/certificates/new")
async def certificate_inspect(request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    raw, values, chosen = await _upload_of(request, user)
    try:
        async with tx(request) as conn:
            facts = await service.inspect(conn, web_actor(request, user), raw, get_clock().now())
    except InputError as exc:
        errors, error = error_texts(exc, lang_of(request))
        return _page(request, user, errors=errors, error=error, v=values, chosen=chosen)
    return _page(request, user, facts=facts, v=values, chosen=chosen, content=base64.b64encode(raw).decode())


@router.post("/admin/certificates/confirm")
async def certificate_register(request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    raw, values, chosen = await _upload_of(request, user)
    try:
        for a in chosen:
            Area.parse(a, "areas")
        async with tx(request) as conn:
            row = await service.register(conn, web_actor(request, user), raw, values.get("operator_code", "").upper(),
                                         values.get("purpose", ""), chosen, get_clock().now())
    except InputError as exc:
        errors, error = error_texts(exc, lang_of(request))
        return _page(request, user, errors=errors, error=error, v=values, chosen=chosen)
    return RedirectResponse(f"/admin/certificates?operator_code={row['operator_code']}&done=registered",
                            status_code=303)


@router.post("/admin/certificates/{fingerprint}/status")
async def certificate_status(fingerprint: str, request: Request, user: WebUser = Depends(web_admin(MANAGE))
                             ) -> Response:
    form = await read_form(request, user)
    status = form.get("status")
    try:
        async with tx(request) as conn:
            row = await service.set_status(conn, web_actor(request, user), fingerprint[:64], status)
    except SwitchhubError as exc:
        if exc.status != 422:
            raise
        return RedirectResponse("/admin/certificates", status_code=303)
    return RedirectResponse(f"/admin/certificates?operator_code={row['operator_code']}&done={status}",
                            status_code=303)
