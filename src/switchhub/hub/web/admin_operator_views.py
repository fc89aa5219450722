"""OCCTO admin Web pages: operators (list, register, change, suspend/restore, first admin user).

Every page and action is `web_admin`: the role's permission plus a password (and TOTP) re-entered
within the last minutes. Each action calls the same service function as its API twin
(hub/operators/service.py), which checks the permission again and writes the audit record; the
view only turns the form into the service's values and its field errors into the page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from switchhub.hub.accounts.service import WebUser
from switchhub.hub.deps import tx
from switchhub.hub.operators import service
from switchhub.hub.web.render import error_texts, lang_of, msg, render
from switchhub.hub.web.session import WebForm, read_form, web_actor, web_admin
from switchhub.kernel.codes import Area, OperatorKind, OperatorStatus
from switchhub.kernel.errors import InputError, SwitchhubError

router = APIRouter(include_in_schema=False)
MANAGE = service.MANAGE
FIELDS = ("code", "kind", "name", "name_kana", "contact_name", "contact_phone", "email")
DONE = {"registered": "op_done_registered", "changed": "op_done_changed", "suspended": "op_done_suspended",
        "active": "op_done_active"}  # message keys (render.UI)


def _done(request: Request) -> str | None:
    key = DONE.get(request.query_params.get("done", ""))
    return msg(key, lang_of(request)) if key else None


def _page_no(request: Request) -> int:
    try:
        return max(1, min(10_000, int(request.query_params.get("page", "1"))))
    except ValueError:
        return 1


def _values(form: WebForm, *, with_code: bool) -> dict[str, Any]:
    values: dict[str, Any] = {k: form.get(k) for k in FIELDS if with_code or k not in ("code", "kind")}
    for field in ("areas", "incumbent_areas"):
        values[field] = [a for a in form.getlist(field) if a]
    return values


def _check_choices(values: dict[str, Any]) -> None:
    """The form's select and checkboxes hold codes; anything else is a field error, not a 500."""
    if "kind" in values:
        OperatorKind.parse(values["kind"] or "-", "kind")
    for field in ("areas", "incumbent_areas"):
        for a in values.get(field, []):
            Area.parse(a, field)


def _form_page(request: Request, user: WebUser, template: str, **ctx: Any) -> Response:
    base = {"user": user, "kinds": list(OperatorKind), "areas": list(Area), "errors": {}, "error": None, "v": {},
            "kind_names": {k.value: k.label(lang_of(request)) for k in OperatorKind},
            "chosen": {}, "admin_errors": {}, "admin_error": None, "admin_v": {}, "created": None}
    status = 422 if any(ctx.get(k) for k in ("errors", "error", "admin_errors", "admin_error")) else 200
    return render(request, template, {**base, **ctx}, status=status)


@router.get("/admin/operators")
async def operator_list(request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    q = {k: request.query_params.get(k, "") for k in ("kind", "area", "status")}
    kind = q["kind"] if q["kind"] in {k.value for k in OperatorKind} else None
    area = q["area"] if q["area"] in {a.value for a in Area} else None
    status = q["status"] if q["status"] in {s.value for s in OperatorStatus} else None
    async with tx(request) as conn:
        result = await service.list_operators(conn, web_actor(request, user), kind=kind, area=area, status=status,
                                              page=_page_no(request))
    pages = range(1, (result["total"] + service.PER_PAGE - 1) // service.PER_PAGE + 1)
    return render(request, "admin_operators.html", {
        "user": user, "result": result, "pages": pages, "page": result["page"], "q": q,
        "kinds": list(OperatorKind), "areas": list(Area), "statuses": list(OperatorStatus),
        "kind_names": {k.value: k.label(lang_of(request)) for k in OperatorKind}})


@router.get("/admin/operators/new")
async def operator_new(request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    return _form_page(request, user, "admin_operator_new.html")


@router.post("/admin/operators/new")
async def operator_register(request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    form = await read_form(request, user)
    values = _values(form, with_code=True)
    try:
        _check_choices(values)
        async with tx(request) as conn:
            row = await service.register_operator(conn, web_actor(request, user), values)
    except InputError as exc:
        errors, error = error_texts(exc, lang_of(request))
        return _form_page(request, user, "admin_operator_new.html", errors=errors, error=error, v=form.values,
                          chosen={f: form.getlist(f) for f in ("areas", "incumbent_areas")})
    return RedirectResponse(f"/admin/operators/{row['code']}?done=registered", status_code=303)


async def _detail(request: Request, user: WebUser, code: str, **ctx: Any) -> Response:
    async with tx(request) as conn:
        op = await service.get_operator(conn, web_actor(request, user), code[:5])
    v = ctx.pop("v", None) or op
    chosen = ctx.pop("chosen", None) or {f: op[f] for f in ("areas", "incumbent_areas")}
    return _form_page(request, user, "admin_operator.html", op=op, v=v, chosen=chosen,
                      done=_done(request), **ctx)


@router.get("/admin/operators/{code}")
async def operator_detail(code: str, request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    return await _detail(request, user, code)


@router.post("/admin/operators/{code}")
async def operator_change(code: str, request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    form = await read_form(request, user)
    values = _values(form, with_code=False)
    try:
        _check_choices(values)
        async with tx(request) as conn:
            await service.change_operator(conn, web_actor(request, user), code[:5], values)
    except InputError as exc:
        errors, error = error_texts(exc, lang_of(request))
        return await _detail(request, user, code, errors=errors, error=error, v=form.values,
                             chosen={f: form.getlist(f) for f in ("areas", "incumbent_areas")})
    return RedirectResponse(f"/admin/operators/{code[:5]}?done=changed", status_code=303)


@router.post("/admin/operators/{code}/status")
async def operator_status(code: str, request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    form = await read_form(request, user)
    status = form.get("status")
    try:
        async with tx(request) as conn:
            await service.set_operator_status(conn, web_actor(request, user), code[:5], status, form.get("reason"))
    except SwitchhubError as exc:
        if exc.status in (403, 404):
            raise
        return await _detail(request, user, code, error=error_texts(exc, lang_of(request))[1]
                             or exc.detail_ja)
    return RedirectResponse(f"/admin/operators/{code[:5]}?done={status}", status_code=303)


@router.post("/admin/operators/{code}/admin-user")
async def operator_first_admin(code: str, request: Request, user: WebUser = Depends(web_admin(MANAGE))) -> Response:
    form = await read_form(request, user)
    values = {k: form.get(k) for k in ("login_id", "display_name", "email")}
    try:
        async with tx(request) as conn:
            created = await service.register_first_admin(conn, web_actor(request, user), code[:5], values)
    except SwitchhubError as exc:
        if exc.status in (403, 404):
            raise
        errors, error = error_texts(exc, lang_of(request))
        return await _detail(request, user, code, admin_errors=errors, admin_error=error or exc.detail_ja,
                             admin_v=values)
    # shown once, on this answer only (never stored in clear, never in a URL, never cached)
    page = await _detail(request, user, code, created=created)
    page.headers["Cache-Control"] = "no-store"
    return page
